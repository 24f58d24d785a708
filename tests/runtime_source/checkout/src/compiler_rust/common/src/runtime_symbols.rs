//! Symbols the runtime library provides to compiled code (sample).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeSymbolTier {
    Core,
    Alloc,
    Sys,
    Async,
    Ext,
}

pub const CORE_REQUIRED_RUNTIME_SYMBOLS: &[&str] = &[
    "rt_alloc",
    "rt_string_new",
    "rt_exit",
];

/// Tier of a name, by prefix.
pub fn symbol_tier_of(name: &str) -> RuntimeSymbolTier {
    use RuntimeSymbolTier::*;

    if name.starts_with("rt_simd_") || name.starts_with("rt_gfx_") {
        return Ext;
    }

    if name.starts_with("rt_thread_")
        || name.starts_with("rt_actor_")
        || name == "rt_wait"
    {
        return Async;
    }

    if name.starts_with("rt_env_")
        || name.starts_with("rt_file_")
        || name.starts_with("rt_tcp_")
        || name.starts_with("rt_exit")
        || name.starts_with("rt_math_")
    {
        return Sys;
    }

    if name.starts_with("rt_string_") || name.starts_with("rt_alloc") {
        return Alloc;
    }

    Core
}

pub fn runtime_symbols_for_baremetal(is_baremetal: bool) -> Vec<&'static str> {
    RUNTIME_SYMBOL_NAMES
        .iter()
        .copied()
        .filter(|name| match symbol_tier_of(name) {
            RuntimeSymbolTier::Core | RuntimeSymbolTier::Alloc => true,
            RuntimeSymbolTier::Sys | RuntimeSymbolTier::Async => !is_baremetal,
            RuntimeSymbolTier::Ext => true,
        })
        .collect()
}

pub const RUNTIME_SYMBOL_NAMES: &[&str] = &[
    // strings
    "rt_string_new",
    "rt_string_split_on",
    // environment
    "rt_env_get",
    "rt_env_set",
    "rt_env_vars",
    "rt_file_size",
    // math, defined in C
    "rt_math_hypot",
    "rt_exit",
    "sys_exit",
    "rt_thread_spawn_isolated",
    "rt_actor_spawn",
    "rt_simd_add_f32",
    "rt_tcp_set_read_timeout",
    "rt_tcp_set_write_timeout",
    "rt_twin",
    "rt_generated_answer",
    // in the rt_pix_ family's prefix, which pix.rs does not handle
    "rt_pix_scale",
];

#[cfg(test)]
mod tests {
    const EXTRA: &[&str] = &["rt_registered_only_in_tests"];
}
