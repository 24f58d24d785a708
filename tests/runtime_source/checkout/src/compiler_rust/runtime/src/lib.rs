//! Miniature runtime crate (sample).
pub mod value;
#[cfg(feature = "fastmath")]
pub mod fast;
#[cfg(test)]
mod tests;
