//! `setCallbackContext`: validate, capture (with rotation) and release the events held until a
//! context arrived.

use super::{lock, Level, Options, Reporter};
use crate::context::{self, ExtractError, HeaderSet, SetStatus};
use crate::event::Event;
use crate::scrub;
use std::sync::atomic::Ordering;
use std::sync::Arc;

impl Reporter {
    /// `setCallbackContext`: validates and captures; releases held events on `set`/`rotated`.
    pub fn set_context(&self, headers: Result<HeaderSet, String>) -> (SetStatus, Option<String>) {
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
                options.logger.log(
                    Level::Debug,
                    format_args!("no callback headers (self-hosted install): nothing will be sent"),
                );
                return (SetStatus::Absent, None);
            }
            Err(ExtractError::Rejected(reason)) => return self.rejected(&options, reason),
        };
        let status = {
            let mut current = lock(&self.shared.context);
            match context::capture(current.as_deref(), offered) {
                Ok((status, None)) => return (status, None),
                Ok((status, Some(kept))) => {
                    *current = Some(Arc::new(kept));
                    status
                }
                Err(reason) => {
                    drop(current);
                    return self.rejected(&options, reason);
                }
            }
        };
        options.logger.log(
            Level::Debug,
            format_args!(
                "callback context {} (team and URL captured; token hidden)",
                status.as_str()
            ),
        );
        self.release_held(&options);
        (status, None)
    }

    pub(super) fn rejected(
        &self,
        options: &Options,
        reason: String,
    ) -> (SetStatus, Option<String>) {
        let first = !self
            .shared
            .warned_rejected_context
            .swap(true, Ordering::Relaxed);
        let level = if first { Level::Warn } else { Level::Debug };
        options
            .logger
            .log(level, format_args!("callback context rejected: {reason}"));
        (SetStatus::Rejected, Some(reason))
    }

    pub(super) fn release_held(&self, options: &Options) {
        let Some(context) = lock(&self.shared.context).clone() else {
            return;
        };
        // Restored events first: they are the older ones.
        let mut held: Vec<Event> = lock(&self.shared.restored_waiting).drain(..).collect();
        held.extend(lock(&self.shared.held).drain(..));
        if held.is_empty() {
            return;
        }
        let count = held.len();
        for mut event in held {
            // Held events were scrubbed without the token; scrub again now that it is known.
            if let std::borrow::Cow::Owned(scrubbed) =
                scrub::scrub(&event.error_message, &context.scrub_secrets())
            {
                event.error_message = scrubbed;
            }
            self.enqueue(event, &context, options);
        }
        options
            .logger
            .log(Level::Debug, format_args!("released {count} held event(s)"));
    }

    /// A new `allowedHosts` applies to the context already captured too: one whose host the new
    /// list refuses is dropped, and later events are held until an allowed context arrives.
    pub(super) fn drop_context_outside(&self, next: &Options) {
        let mut current = lock(&self.shared.context);
        let refused = current.as_ref().is_some_and(|context| {
            !next
                .allowed_hosts
                .allows(context.url.host_str().unwrap_or_default())
        });
        if refused {
            *current = None;
            drop(current);
            next.logger.log(
                Level::Warn,
                format_args!("callback context dropped: its host is not in the new allowedHosts; events are held until an allowed context arrives"),
            );
        }
    }
}
