//! Sections of BENCHMARKS.md that one kind of run writes between two
//! markers (`--cluster`, `--flow`) and every other run carries over as
//! they are.

use std::path::Path;

use crate::Error;

/// A section's two marker lines.
#[derive(Debug, Clone, Copy)]
pub struct Kept {
    /// The line the section starts with.
    pub begin: &'static str,
    /// The line after the section.
    pub end: &'static str,
}

/// The Cluster section, by `bench --cluster`.
pub const CLUSTER: Kept = Kept {
    begin: "<!-- Cluster: written by `bench --cluster`; other runs keep it. -->",
    end: "<!-- Cluster: end. -->",
};

/// The Developer loop section, by `bench --flow`.
pub const FLOW: Kept = Kept {
    begin: "<!-- Developer loop: written by `bench --flow`; other runs keep it. -->",
    end: "<!-- Developer loop: end. -->",
};

impl Kept {
    /// `text` with this section replaced by `section` (or `section` put
    /// before the notes marker, or at the end, when it had none).
    pub fn replace(&self, text: &str, section: &str) -> String {
        if let Some((before, rest)) = text.split_once(self.begin) {
            let after = rest.split_once(self.end).map_or("", |(_, after)| after);
            let after = after.strip_prefix('\n').unwrap_or(after);
            return format!("{before}{section}{after}");
        }
        match text.split_once(crate::markdown::NOTES_MARKER) {
            Some((before, notes)) => format!(
                "{before}{section}\n{}{notes}",
                crate::markdown::NOTES_MARKER
            ),
            None => format!("{text}\n{section}"),
        }
    }

    /// This section of `text`, markers included, if it has one.
    pub fn existing(&self, text: &str) -> Option<String> {
        let (_, rest) = text.split_once(self.begin)?;
        let (inside, _) = rest.split_once(self.end)?;
        Some(format!("{}{inside}{}\n", self.begin, self.end))
    }

    /// Replaces this section of `out`/BENCHMARKS.md with `section`.
    pub fn write(&self, out: &Path, section: &str) -> Result<(), Error> {
        let path = out.join("BENCHMARKS.md");
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::create_dir_all(out)
            .and_then(|()| std::fs::write(&path, self.replace(&old, section)))
            .map_err(|source| Error::Io {
                what: format!("writing {}", path.display()),
                source,
            })?;
        eprintln!("wrote a section of {}", path.display());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::NOTES_MARKER;

    #[test]
    fn a_section_goes_before_the_notes_and_is_replaced_in_place() {
        let Kept { begin, end } = CLUSTER;
        let first = format!("# Benchmarks\ngenerated\n{NOTES_MARKER}\nnotes\n");
        let one = format!("{begin}\n## Cluster\nold\n{end}\n");
        let with = CLUSTER.replace(&first, &one);
        assert_eq!(
            with,
            format!("# Benchmarks\ngenerated\n{one}\n{NOTES_MARKER}\nnotes\n")
        );
        assert_eq!(CLUSTER.existing(&with).as_deref(), Some(one.as_str()));
        let two = format!("{begin}\n## Cluster\nnew\n{end}\n");
        let replaced = CLUSTER.replace(&with, &two);
        assert_eq!(
            replaced,
            format!("# Benchmarks\ngenerated\n{two}\n{NOTES_MARKER}\nnotes\n")
        );
        assert_eq!(CLUSTER.existing("no section"), None);
        assert!(CLUSTER.replace("plain", &two).ends_with(&two));
    }

    #[test]
    fn two_sections_live_side_by_side() {
        let cluster = format!("{}\nc\n{}\n", CLUSTER.begin, CLUSTER.end);
        let flow = format!("{}\nf\n{}\n", FLOW.begin, FLOW.end);
        let text = format!("head\n{NOTES_MARKER}\nnotes\n");
        let both = FLOW.replace(&CLUSTER.replace(&text, &cluster), &flow);
        assert_eq!(CLUSTER.existing(&both).as_deref(), Some(cluster.as_str()));
        assert_eq!(FLOW.existing(&both).as_deref(), Some(flow.as_str()));
    }
}
