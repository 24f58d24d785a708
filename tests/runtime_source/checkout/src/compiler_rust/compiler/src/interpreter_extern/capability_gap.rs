//! Families the interpreter knows and refuses (sample).

const CAPABILITY_GAP_FAMILIES: &[(&str, &str)] = &[
    ("rt_webgfx_", "rt_webgfx"),
    ("rt_pad_", "rt_pad"),
];

pub fn matches(name: &str) -> bool {
    CAPABILITY_GAP_FAMILIES.iter().any(|(prefix, _)| name.starts_with(prefix))
}

pub fn dispatch(name: &str) -> Result<Value, Error> {
    Err(Error::semantic(format!("{name}: no native implementation (capability gap)")))
}

#[cfg(test)]
mod tests {
    const NOT_A_FAMILY: &[&str] = &["rt_test_only_"];
}
