pub fn abs(args: &[Value]) -> Result<Value, Error> { Ok(args[0].clone()) }
