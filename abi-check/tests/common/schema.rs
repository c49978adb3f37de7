//! A JSON Schema (draft-04) validator for the keywords the SARIF 2.1.0
//! schema uses (tests/fixtures/sarif-2.1.0-rtm.5.json), shared by the tests
//! that check SARIF output.

use serde_json::Value;

/// The vendored SARIF 2.1.0 schema.
pub fn sarif() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(super::root().join("tests/fixtures/sarif-2.1.0-rtm.5.json"))
            .expect("vendored schema"),
    )
    .expect("schema is JSON")
}

/// The problems of `value` against the SARIF schema; empty when valid.
pub fn sarif_errors(value: &Value) -> Vec<String> {
    let schema = sarif();
    let mut errors = Vec::new();
    validate(&schema, &schema, value, "$", &mut errors);
    errors
}

/// A JSON Schema (draft-04) validator for the keywords the SARIF schema
/// uses; `format` and `pattern` are not checked.
pub fn validate(schema: &Value, root: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/definitions/");
        let target = &root["definitions"][name];
        assert!(!target.is_null(), "unresolved {r}");
        return validate(target, root, value, path, errors);
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{path}: expected {types:?}, got {value}"));
            return;
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(value) {
            errors.push(format!("{path}: {value} not in {e:?}"));
        }
    }
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
        if value.as_f64().is_some_and(|v| v < min) {
            errors.push(format!("{path}: {value} < {min}"));
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let passing = options
                .iter()
                .filter(|o| {
                    let mut e = Vec::new();
                    validate(o, root, value, path, &mut e);
                    e.is_empty()
                })
                .count();
            if passing == 0 || (key == "oneOf" && passing > 1) {
                errors.push(format!("{path}: {key} matched {passing}"));
            }
        }
    }
    if let Value::Object(map) = value {
        let props = schema.get("properties").and_then(Value::as_object);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) {
                    errors.push(format!("{path}: missing required `{r}`"));
                }
            }
        }
        for (k, v) in map {
            let sub = format!("{path}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(s, root, v, &sub, errors),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => errors.push(format!("{sub}: not allowed")),
                    Some(s @ Value::Object(_)) => validate(s, root, v, &sub, errors),
                    _ => {}
                },
            }
        }
    }
    if let Value::Array(items) = value {
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if (items.len() as u64) < min {
                errors.push(format!("{path}: fewer than {min} items"));
            }
        }
        if let Some(s) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                validate(s, root, item, &format!("{path}[{i}]"), errors);
            }
        }
    }
}
