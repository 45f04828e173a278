//! What the one-shot commands (the client, restore) share: their runtime
//! and whether a person watches the terminal.

use std::io::IsTerminal;

/// The runtime of a one-shot command (the client, restore): one thread is
/// plenty for requests sent one after another. `None` once the reason was
/// printed.
pub(crate) fn command_runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => Some(runtime),
        Err(err) => {
            eprintln!("backup-actuator: cannot start the runtime: {err}");
            None
        }
    }
}

/// True when a person watches both outputs, so progress may draw bars.
pub(crate) fn on_a_terminal() -> bool {
    std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}
