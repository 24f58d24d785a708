pub mod env;
include!("generated.rs");
