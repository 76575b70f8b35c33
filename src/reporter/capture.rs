//! `setCallbackContext`: validate, capture (with rotation) and release the events held until a
//! context arrived.

use super::{lock, Core, Level, Options, Reporter};
use crate::context::{self, ExtractError, HeaderSet, SetStatus};
use crate::scrub;
use std::sync::atomic::Ordering;
use std::sync::Arc;

impl Reporter {
    /// `setCallbackContext`: validates and captures; releases held events on `set`/`rotated`.
    pub fn set_context(&self, headers: Result<HeaderSet, String>) -> (SetStatus, Option<String>) {
        self.core.set_context(headers)
    }
}

impl Core {
    fn set_context(
        self: &Arc<Self>,
        headers: Result<HeaderSet, String>,
    ) -> (SetStatus, Option<String>) {
        let options = self.options();
        let offered = headers
            .map_err(ExtractError::Rejected)
            .and_then(|set| context::extract(&set))
            .and_then(|raw| {
                context::validate(raw, &options.allowed_hosts).map_err(ExtractError::Rejected)
            });
        let offered = match offered {
            Ok(offered) => offered,
            Err(ExtractError::Absent) => {
                self.log(
                    Level::Debug,
                    format_args!("no callback headers (self-hosted install): nothing will be sent"),
                );
                return (SetStatus::Absent, None);
            }
            Err(ExtractError::Rejected(reason)) => return self.rejected(reason),
        };
        let status = {
            let mut current = lock(&self.context);
            match context::capture(current.as_deref(), offered) {
                Ok((status, None)) => return (status, None),
                Ok((status, Some(kept))) => {
                    *current = Some(Arc::new(kept));
                    status
                }
                Err(reason) => {
                    drop(current);
                    return self.rejected(reason);
                }
            }
        };
        self.log(
            Level::Debug,
            format_args!(
                "callback context {} (team and URL captured; token hidden)",
                status.as_str()
            ),
        );
        self.release_held(&options);
        (status, None)
    }

    fn rejected(&self, reason: String) -> (SetStatus, Option<String>) {
        let first = !self.warned.rejected_context.swap(true, Ordering::Relaxed);
        let level = if first { Level::Warn } else { Level::Debug };
        self.log(level, format_args!("callback context rejected: {reason}"));
        (SetStatus::Rejected, Some(reason))
    }

    /// Queues the held events, now that a context exists: restored ones first (they are the
    /// older ones), then held reports, whose messages are scrubbed with the token and then cut.
    pub(super) fn release_held(self: &Arc<Self>, options: &Options) {
        // After shutdown nothing is queued: held events stay held (and counted as such).
        if self.is_shut_down() {
            return;
        }
        let Some(context) = self.context() else {
            return;
        };
        let (restored, reports) = {
            let mut held = lock(&self.held);
            let taken = (
                std::mem::take(&mut held.restored),
                std::mem::take(&mut held.reports),
            );
            self.count_held(&held);
            taken
        };
        let count = restored.len() + reports.len();
        if count == 0 {
            return;
        }
        let secrets = context.scrub_secrets();
        for mut event in restored {
            // Scrubbed with the token they were reported under; the current ones too, now.
            if let std::borrow::Cow::Owned(scrubbed) = scrub::scrub(&event.error_message, secrets) {
                event.error_message = scrubbed;
            }
            self.enqueue(event, &context, options);
        }
        for (mut event, uncut) in reports {
            event.error_message = uncut.finish(secrets);
            self.enqueue(event, &context, options);
        }
        self.log(Level::Debug, format_args!("released {count} held event(s)"));
    }

    /// A new `allowedHosts` applies to the context already captured too: one whose host the new
    /// list refuses is dropped, and later events are held until an allowed context arrives.
    pub(super) fn drop_context_outside(&self, next: &Options) {
        let mut current = lock(&self.context);
        let refused = current.as_ref().is_some_and(|context| {
            !next
                .allowed_hosts
                .allows(context.url.host_str().unwrap_or_default())
        });
        if refused {
            *current = None;
            drop(current);
            // The new logger: this one is not installed yet.
            next.logger.log(
                Level::Warn,
                format_args!("callback context dropped: its host is not in the new allowedHosts; events are held until an allowed context arrives"),
            );
        }
    }
}
