//! Running the tools a benchmark drives (muelle, docker): their stdout, or
//! the last line they printed on stderr as the error.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::Error;

/// The docker CLI on the host, `stdin` written to it; returns stdout.
pub async fn host_docker(args: &[&str], stdin: Option<&str>) -> Result<String, Error> {
    let mut command = Command::new("docker");
    command.args(args);
    output(command, stdin, "docker").await
}

/// Runs `command` to the end, `stdin` written to it (closed when `None`):
/// its stdout, or its last stderr line as the error.
pub async fn output(
    mut command: Command,
    stdin: Option<&str>,
    name: &'static str,
) -> Result<String, Error> {
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .map_err(|e| tool(name, format!("cannot start: {e}")))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .await
            .map_err(|e| tool(name, format!("cannot write its input: {e}")))?;
    }
    let done = child
        .wait_with_output()
        .await
        .map_err(|e| tool(name, e.to_string()))?;
    if done.status.success() {
        return Ok(String::from_utf8_lossy(&done.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&done.stderr);
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
    Err(tool(
        name,
        last.unwrap_or("failed without a message").trim().to_owned(),
    ))
}

/// A tool failed, for `reason`.
pub fn tool(tool: &'static str, reason: String) -> Error {
    Error::Tool { tool, reason }
}
