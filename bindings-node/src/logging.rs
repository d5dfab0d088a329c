//! Rust `tracing` events forwarded to the logger the host sets with `setLogger` (`index.js`
//! accepts a function or anything with `info`/`warn`/`error`), through the host layer's
//! [`log_bridge`]. Each event reaches JavaScript as JSON `{level, message, target, fields,
//! context}`: `context` holds the fields of the spans the event happened in (the run, the
//! tenant). Events are queued to the JavaScript thread from whatever thread emits them; the queue
//! holds no reference on the event loop, so a logger never keeps the process alive.

use std::sync::{Arc, Mutex};

use entra_providers::host::log_bridge::{self, LogEvent, LogSink};
use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

type LogFn = ThreadsafeFunction<String, (), String, napi::Status, false, true>;

/// The host's logger, if one is set.
static LOGGER: Mutex<Option<Arc<LogFn>>> = Mutex::new(None);

/// Queues each event, as JSON text, to the logger set last.
struct NodeSink;

impl LogSink for NodeSink {
    fn emit(&self, event: LogEvent) {
        let Some(logger) = LOGGER.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
            return;
        };
        logger.call(
            event.to_json().to_string(),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }
}

/// Sets the host's logger (`null` removes it) and the most verbose level it receives
/// (`error`, `warn`, `info`, `debug`, `trace` or `off`).
#[napi]
pub fn set_native_logger(
    #[napi(ts_arg_type = "((event: string) => void) | null | undefined")] logger: Option<
        Function<'_, String, ()>,
    >,
    level: Option<String>,
) -> napi::Result<()> {
    log_bridge::install_sink(Arc::new(NodeSink));
    let forwarded = log_bridge::parse_forwarded_level(level.as_deref().unwrap_or("info"))
        .map_err(|e| crate::errors::error(&e))?;
    let tsfn = match logger {
        Some(f) => Some(Arc::new(
            f.build_threadsafe_function::<String>()
                .weak::<true>()
                .callee_handled::<false>()
                .build()?,
        )),
        None => None,
    };
    let active = tsfn.is_some();
    *LOGGER.lock().unwrap_or_else(|e| e.into_inner()) = tsfn;
    log_bridge::set_forwarded_level(if active { forwarded } else { None });
    Ok(())
}

/// Emits one event at `level` through `tracing`, inside a span with run and tenant fields, to
/// check the bridge end to end.
#[cfg(feature = "test-hooks")]
#[napi]
pub fn emit_log_for_test(level: String, message: String) -> napi::Result<()> {
    let level = level.parse().map_err(|e| crate::errors::error(&e))?;
    log_bridge::emit_probe(level, &message);
    Ok(())
}
