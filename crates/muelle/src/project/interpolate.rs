//! Compose-style variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`,
//! `${VAR-default}`, `${VAR:?message}`, `${VAR?message}` and `$$` for a dollar.
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
            let end = body
                .find('}')
                .ok_or_else(|| format!("unclosed `${{` in {text:?}"))?;
            out.push_str(&expand(&body[..end], lookup)?);
            rest = &body[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
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

fn expand(body: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let name_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let (name, op) = body.split_at(name_len);
    if name.is_empty() {
        return Err(format!("`${{{body}}}` names no variable"));
    }
    let value = lookup(name);
    let set_and_non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
    match op {
        "" => Ok(value.unwrap_or_default()),
        _ if op.starts_with(":-") => Ok(if set_and_non_empty {
            value.unwrap_or_default()
        } else {
            op[2..].to_owned()
        }),
        _ if op.starts_with('-') => Ok(value.unwrap_or_else(|| op[1..].to_owned())),
        _ if op.starts_with(":?") => value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("{name} is required: {}", &op[2..])),
        _ if op.starts_with('?') => {
            value.ok_or_else(|| format!("{name} is required: {}", &op[1..]))
        }
        _ => Err(format!("`${{{body}}}` is not a form muelle understands")),
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
    }
}
