//! dlopen fallback (sample): every argument crosses as one i64.

fn load_runtime_library() -> usize {
    for profile in &["debug", "release", "bootstrap"] {
        let _ = format!("target/{}/{}", profile, runtime_lib_name());
    }
    0
}

fn runtime_lib_name() -> String {
    "libsimple_runtime.so".to_string()
}

pub fn try_call_dynamic(name: &str, args: &[Value]) -> Option<Result<Value, Error>> {
    let _ = load_runtime_library();
    None
}
