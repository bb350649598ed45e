//! Build contexts made in memory: only the files a build needs, never the
//! repository with its `target/`.

use crate::error::{Error, Result};

/// A tar archive of `(name, contents)` files, mode 0755 so binaries run.
pub fn tar(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o755);
        header.set_mtime(0);
        header.set_cksum();
        builder
            .append_data(&mut header, name, bytes.as_slice())
            .map_err(Error::io(format!("pack {name} into a build context")))?;
    }
    builder
        .into_inner()
        .map_err(Error::io("finish a build context"))
}

/// `LABEL "k"="v" …` on a line of its own, sorted, quoted so that no value
/// is expanded or can end the instruction.
pub fn label_instruction(labels: &std::collections::HashMap<String, String>) -> String {
    let quote = |text: &str| {
        let escaped: String = text
            .chars()
            .flat_map(|c| match c {
                '\\' | '"' | '$' => vec!['\\', c],
                '\n' | '\r' => vec![' '],
                c => vec![c],
            })
            .collect();
        format!("\"{escaped}\"")
    };
    let mut pairs: Vec<_> = labels.iter().collect();
    pairs.sort();
    let body: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", quote(k), quote(v)))
        .collect();
    format!("\nLABEL {}\n", body.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_become_one_quoted_instruction() {
        let labels = std::collections::HashMap::from([
            ("b".to_owned(), "plain".to_owned()),
            ("a".to_owned(), "say \"$HOME\"\\\nnext".to_owned()),
        ]);
        assert_eq!(
            label_instruction(&labels),
            "\nLABEL \"a\"=\"say \\\"\\$HOME\\\"\\\\ next\" \"b\"=\"plain\"\n"
        );
    }
}
