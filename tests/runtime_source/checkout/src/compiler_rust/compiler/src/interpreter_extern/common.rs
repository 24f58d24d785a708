pub fn unknown_function(name: &str) -> Error {
    Error::semantic(format!("unknown extern function: {name}"))
}
