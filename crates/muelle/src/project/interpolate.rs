//! Compose-style variable interpolation, as the compose specification
//! defines it: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:?message}`, `${VAR?message}`, `${VAR:+replacement}`,
//! `${VAR+replacement}`, operands that nest (`${A:-${B:-x}}`) and `$$` for a
//! dollar.
//!
//! Compose and stack files name images and ports through variables with
//! defaults, so that a normal machine uses the official images and muelle can
//! point the same file at local stand-ins.

/// Replaces the variables in `text`, looking each up with `lookup`.
pub fn interpolate(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = closing_brace(body).ok_or_else(|| format!("unclosed `${{` in {text:?}"))?;
            out.push_str(&expand(&body[..end], lookup)?);
            rest = &body[end + 1..];
        } else {
            let len = name_len(after);
            if len == 0 {
                return Err(format!(
                    "a lone `$` in {text:?}: write `$$` for a dollar sign"
                ));
            }
            out.push_str(&lookup(&after[..len]).unwrap_or_default());
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Where the `}` closing a `${` lies in the text after it: nested `${…}`
/// in an operand are skipped whole, and so is `$$`.
/// The variables `${NAME…}` in `text` names, in order, before interpolation.
pub fn names(text: &str) -> Vec<String> {
    text.split("${")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

fn closing_brace(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'$', Some(b'$')) => i += 1,
            (b'$', Some(b'{')) => {
                depth += 1;
                i += 1;
            }
            (b'}', _) if depth == 0 => return Some(i),
            (b'}', _) => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The length of the variable name `text` starts with, `[_A-Za-z][_A-Za-z0-9]*`.
fn name_len(text: &str) -> usize {
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        return 0;
    }
    text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len())
}

/// The operators of a braced expression, longest first.
const OPERATORS: [&str; 6] = [":-", ":?", ":+", "-", "?", "+"];

fn expand(body: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let (name, op) = body.split_at(name_len(body));
    if name.is_empty() {
        return Err(format!("`${{{body}}}` names no variable"));
    }
    let value = lookup(name);
    if op.is_empty() {
        return Ok(value.unwrap_or_default());
    }
    let operator = OPERATORS
        .into_iter()
        .find(|o| op.starts_with(o))
        .ok_or_else(|| format!("`${{{body}}}` is not a form muelle understands"))?;
    // The operand is interpolated whether it is used or not, as compose does.
    let operand = interpolate(&op[operator.len()..], lookup)?;
    let usable = if operator.starts_with(':') {
        value.filter(|v| !v.is_empty())
    } else {
        value
    };
    match (operator.trim_start_matches(':'), usable) {
        ("-" | "?", Some(value)) => Ok(value),
        ("-", None) => Ok(operand),
        ("?", None) => Err(format!("{name} is required: {operand}")),
        (_, Some(_)) => Ok(operand),
        (_, None) => Ok(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "SET" => Some("value".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn every_form() {
        let cases = [
            ("${SET}", "value"),
            ("$SET/x", "value/x"),
            ("${UNSET}", ""),
            ("${UNSET:-redis:7-alpine}", "redis:7-alpine"),
            ("${EMPTY:-d}", "d"),
            ("${EMPTY-d}", ""),
            ("${SET:-d}", "value"),
            ("${VOTE_PORT:-5000}:8080", "5000:8080"),
            (
                "pg_isready -U $$POSTGRES_USER",
                "pg_isready -U $POSTGRES_USER",
            ),
            ("no variables", "no variables"),
            ("${UNSET:-${SET}}", "value"),
            ("${UNSET:-${ALSO_UNSET:-x}}", "x"),
            ("${UNSET:-${EMPTY:-${SET}}/y}", "value/y"),
            ("${UNSET-${EMPTY-no}}", ""),
            ("${SET:-${UNSET:-x}}", "value"),
            ("${UNSET:-a}b${SET}", "abvalue"),
            ("${UNSET:-$SET}", "value"),
            ("${UNSET:-$${SET}}", "${SET}"),
            ("${UNSET:-}}", "}"),
            ("${SET:+on}", "on"),
            ("${EMPTY:+on}", ""),
            ("${EMPTY+on}", "on"),
            ("${UNSET+on}", ""),
            ("${SET:+${UNSET:-x}}", "x"),
            ("${SET?${UNSET}}", "value"),
        ];
        for (input, want) in cases {
            assert_eq!(interpolate(input, &env).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            interpolate("${UNSET:?set it}", &env).unwrap_err(),
            "UNSET is required: set it"
        );
        assert!(
            interpolate("${SET", &env)
                .unwrap_err()
                .starts_with("unclosed")
        );
        assert!(interpolate("a $ b", &env).unwrap_err().contains("$$"));
        assert_eq!(
            interpolate("${UNSET:?${SET} is needed}", &env).unwrap_err(),
            "UNSET is required: value is needed"
        );
        assert_eq!(
            interpolate("${EMPTY?no}${UNSET:-${UNSET2:?give it}}", &env).unwrap_err(),
            "UNSET2 is required: give it"
        );
        assert!(
            interpolate("${UNSET:-${SET}", &env)
                .unwrap_err()
                .starts_with("unclosed")
        );
        assert!(interpolate("${1X}", &env).unwrap_err().contains("names no"));
        assert!(interpolate("$1", &env).unwrap_err().contains("$$"));
    }
}
