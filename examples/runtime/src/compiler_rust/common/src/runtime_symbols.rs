//! Symbols the runtime library provides to compiled code (example).
pub const RUNTIME_SYMBOL_NAMES: &[&str] = &[
    "rt_dir_list",
    "rt_dir_exists",
    "rt_env_vars",
];

pub fn symbol_tier_of(name: &str) -> RuntimeSymbolTier {
    use RuntimeSymbolTier::*;
    if name.starts_with("rt_dir_") || name.starts_with("rt_env_") {
        return Sys;
    }
    Core
}
