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
