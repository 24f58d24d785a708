pub mod sffi;
pub mod mathc;
pub mod net;
mod broken;
