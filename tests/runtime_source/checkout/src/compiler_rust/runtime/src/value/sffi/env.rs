//! Environment functions (sample), every shape of a C-ABI definition.

/// Value of an environment variable.
#[no_mangle]
pub unsafe extern "C" fn rt_env_get(key_ptr: *const u8, key_len: u64) -> RuntimeValue {
    lookup(key_ptr, key_len)
}

#[no_mangle]
pub unsafe extern "C" fn rt_env_set(
    key_ptr: *const u8,
    key_len: u64,
    value_ptr: *const u8,
    value_len: u64,
) -> bool {
    store(key_ptr, key_len, value_ptr, value_len)
}

#[no_mangle]
pub extern "C" fn rt_env_vars() -> RuntimeValue {
    all_vars()
}

#[no_mangle]
pub extern "C" fn rt_exit(code: i32) -> ! {
    std::process::exit(code)
}

/// The codegen name, exported under another Rust name.
#[export_name = "sys_exit"]
pub extern "C" fn sys_exit_alias(code: i32) -> ! {
    rt_exit(code)
}

#[cfg(unix)]
#[no_mangle]
pub extern "C" fn rt_twin(fd: i64) -> i64 {
    fd
}

#[cfg(windows)]
#[no_mangle]
pub extern "C" fn rt_twin(handle: *mut u8) -> i64 {
    handle as i64
}

#[no_mangle]
pub extern "C" fn rt_file_size(path_ptr: *const u8, path_len: u64) -> i64 {
    0
}

#[no_mangle]
pub extern "C" fn rt_string_new(bytes: *const u8, len: u64) -> RuntimeValue {
    make(bytes, len)
}

#[no_mangle]
pub extern "C" fn rt_thread_spawn_isolated(closure: RuntimeValue) -> i64 {
    0
}

fn lookup(_p: *const u8, _n: u64) -> RuntimeValue {
    RuntimeValue::NIL
}

pub extern "C" fn rt_not_exported(x: i64) -> i64 {
    x
}

#[cfg(test)]
mod tests {
    #[no_mangle]
    pub extern "C" fn rt_env_test_hook() {}
}
