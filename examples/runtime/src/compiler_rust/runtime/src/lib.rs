//! The runtime crate's C ABI (example).

#[no_mangle]
pub unsafe extern "C" fn rt_dir_list(path_ptr: *const u8, path_len: u64) -> RuntimeValue {
    list_dir(path_ptr, path_len)
}

#[no_mangle]
pub unsafe extern "C" fn rt_dir_exists(path_ptr: *const u8, path_len: u64) -> bool {
    exists(path_ptr, path_len)
}

#[no_mangle]
pub extern "C" fn rt_env_vars() -> RuntimeValue {
    all_vars()
}
