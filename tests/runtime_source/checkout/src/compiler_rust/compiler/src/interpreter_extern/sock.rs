pub fn dispatch(name: &str, args: &[Value]) -> Result<Value, Error> {
    if name == "rt_sock_prepare" {
        return Ok(Value::Int(0));
    }
    match name {
        "rt_sock_commit" => Ok(Value::Int(1)),
        _ => Err(Error::runtime(format!("{name}: unknown"))),
    }
}
