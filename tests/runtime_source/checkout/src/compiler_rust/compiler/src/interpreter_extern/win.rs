pub fn dispatch(name: &str, _args: &[Value]) -> Result<Value, Error> {
    match name {
        "rt_win_open" => Ok(Value::Int(1)),
        _ => Err(Error::runtime(format!("{name}: unknown rt_win_*"))),
    }
}
