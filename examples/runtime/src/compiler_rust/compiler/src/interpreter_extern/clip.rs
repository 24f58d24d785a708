//! The clipboard family: interpreter only, nothing compiled links it.
pub fn dispatch(name: &str, _args: &[Value]) -> Result<Value, Error> {
    match name {
        "rt_clip_get" => Ok(Value::text(String::new())),
        _ => Err(Error::runtime(format!("{name}: unknown rt_clip_* function"))),
    }
}
