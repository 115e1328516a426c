//! The bot as a user of a Matrix application service.
//!
//! With `TREECAST_MATRIX_AS_TOKEN` set, the bot user (`matrix.user_id`) is
//! in the `users` namespace of a registration listed in the homeserver's
//! `app_service_config_files` that says `rate_limited: false`. Requests
//! made with the `as_token` (and `?user_id=` the bot) are then not rate
//! limited by Synapse at all. The adapter:
//! - registers the bot user through the registration if it is missing, and
//!   logs in with `m.login.application_service`, which gives it a device of
//!   its own: sync and end-to-end encryption use that device, as before;
//! - joins invited rooms with the `as_token`;
//! - sends into rooms that are not encrypted with the `as_token`, and into
//!   encrypted rooms through its device (matrix-sdk encrypts; it has no way
//!   to send an encrypted event with another token), where the homeserver's
//!   `rc_message` still applies.
//!
//! The registration's own sender cannot be the bot: Synapse refuses
//! `/sync` for it.
//!
//! Plain HTTP calls here, not matrix-sdk: the SDK's client carries one
//! token, the device's, and has no application-service mode in 0.18.

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::reqwest::Method;
use matrix_sdk::ruma::{OwnedDeviceId, OwnedUserId};
use matrix_sdk::{SessionMeta, SessionTokens};
use serde::Deserialize;
use treecast_wire::{AdapterError, DeliveryError, Platform};

use crate::errors::classify_body;

use crate::ratelimit::path_segment;
use crate::settings::ENV_AS_TOKEN;

fn fail(message: impl Into<String>) -> AdapterError {
    AdapterError::new(Platform::Matrix, message)
}

/// The registration's token and what it acts for.
#[derive(Clone)]
pub(crate) struct AppService {
    homeserver: String,
    token: String,
    user: OwnedUserId,
    http: matrix_sdk::reqwest::Client,
}

impl std::fmt::Debug for AppService {
    /// Never prints the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppService").field("homeserver", &self.homeserver).field("user", &self.user).finish()
    }
}

impl AppService {
    /// The application service named by the environment, if any.
    pub(crate) fn from_env(homeserver: &str, user: &OwnedUserId) -> Option<AppService> {
        let token = std::env::var(ENV_AS_TOKEN).ok().filter(|t| !t.trim().is_empty())?;
        Some(AppService {
            homeserver: homeserver.trim_end_matches('/').to_owned(),
            token: token.trim().to_owned(),
            user: user.clone(),
            http: matrix_sdk::reqwest::Client::new(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/_matrix/client/v3/{path}", self.homeserver)
    }

    /// One request with the `as_token`, a JSON body if given.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<matrix_sdk::reqwest::Response, matrix_sdk::reqwest::Error> {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body);
        }
        req.send().await
    }

    /// Registers the bot user through the application service, unless it
    /// exists. Synapse does not create the sender's user by itself, and a
    /// device token of a user that does not exist is refused (bridges
    /// "ensure registered" their bot the same way).
    async fn ensure_registered(&self) -> Result<(), AdapterError> {
        let localpart = self.user.localpart();
        let body = serde_json::json!({
            "type": "m.login.application_service",
            "username": localpart,
            "inhibit_login": true,
        });
        let resp = self
            .call(Method::POST, "register", Some(body.to_string()))
            .await
            .map_err(|e| fail(format!("cannot reach {}: {e}", self.homeserver)))?;
        let status = resp.status();
        if status.is_success() {
            tracing::info!(user = %self.user, "registered the bot user through the application service");
            return Ok(());
        }
        let bytes = resp.bytes().await.unwrap_or_default();
        let code = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("errcode").and_then(|c| c.as_str()).map(str::to_owned));
        if code.as_deref() == Some("M_USER_IN_USE") {
            return Ok(());
        }
        Err(self.refused("registration", status))
    }

    fn refused(&self, what: &str, status: matrix_sdk::reqwest::StatusCode) -> AdapterError {
        fail(format!(
            "the homeserver refused the application-service {what} for {} (HTTP {status}): check that {ENV_AS_TOKEN} \
             is the registration's as_token, that the registration is listed under app_service_config_files, \
             and that {} is in its users namespace",
            self.user, self.user
        ))
    }

    /// Registers the bot user if needed, then `POST /login` with
    /// `m.login.application_service`: a new device and its token.
    pub(crate) async fn login(&self, device_name: &str) -> Result<MatrixSession, AdapterError> {
        if self.sender().await? == self.user.as_str() {
            return Err(fail(format!(
                "{} is the application service's sender, which Synapse does not let sync; set matrix.user_id \
                 to another user in the registration's users namespace",
                self.user
            )));
        }
        self.ensure_registered().await?;
        #[derive(Deserialize)]
        struct LoggedIn {
            access_token: String,
            device_id: OwnedDeviceId,
        }
        let body = serde_json::json!({
            "type": "m.login.application_service",
            "identifier": { "type": "m.id.user", "user": self.user.as_str() },
            "initial_device_display_name": device_name,
        });
        let resp = self
            .call(Method::POST, "login", Some(body.to_string()))
            .await
            .map_err(|e| fail(format!("cannot reach {}: {e}", self.homeserver)))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(self.refused("login", status));
        }
        let bytes = resp.bytes().await.map_err(|e| fail(format!("cannot read the login answer: {e}")))?;
        let done: LoggedIn =
            serde_json::from_slice(&bytes).map_err(|e| fail(format!("unexpected login answer: {e}")))?;
        Ok(MatrixSession {
            meta: SessionMeta { user_id: self.user.clone(), device_id: done.device_id },
            tokens: SessionTokens { access_token: done.access_token, refresh_token: None },
        })
    }

    /// The registration's sender (`GET whoami` with the `as_token`).
    async fn sender(&self) -> Result<String, AdapterError> {
        #[derive(Deserialize)]
        struct WhoAmI {
            user_id: String,
        }
        let resp = self
            .call(Method::GET, "account/whoami", None)
            .await
            .map_err(|e| fail(format!("cannot reach {}: {e}", self.homeserver)))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(self.refused("token", status));
        }
        let bytes = resp.bytes().await.map_err(|e| fail(format!("cannot read the whoami answer: {e}")))?;
        let who: WhoAmI = serde_json::from_slice(&bytes).map_err(|e| fail(format!("unexpected whoami answer: {e}")))?;
        Ok(who.user_id)
    }

    /// Sends one `m.room.message` into `room_id` as the bot with the
    /// `as_token`, under transaction id `txn` (a retry with the same id is
    /// not posted twice). Returns the event id.
    pub(crate) async fn send_message(
        &self,
        room_id: &str,
        txn: &str,
        content: &serde_json::Value,
    ) -> Result<String, DeliveryError> {
        #[derive(Deserialize)]
        struct Sent {
            event_id: String,
        }
        let path = format!(
            "rooms/{}/send/m.room.message/{}?user_id={}",
            path_segment(room_id),
            path_segment(txn),
            path_segment(self.user.as_str())
        );
        let resp = self
            .call(Method::PUT, &path, Some(content.to_string()))
            .await
            .map_err(|e| DeliveryError::transient(format!("network error talking to the homeserver: {e}")))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| DeliveryError::transient(format!("cannot read the homeserver's answer: {e}")))?;
        if (200..300).contains(&status) {
            let sent: Sent = serde_json::from_slice(&bytes)
                .map_err(|e| DeliveryError::transient(format!("unexpected answer to a send: {e}")))?;
            return Ok(sent.event_id);
        }
        Err(classify_body(status, &bytes, room_id))
    }

    /// Joins `room_id` as the bot with the `as_token` (not rate limited
    /// when the registration says `rate_limited: false`).
    pub(crate) async fn join(&self, room_id: &str) -> Result<(), String> {
        let path = format!("join/{}?user_id={}", path_segment(room_id), path_segment(self.user.as_str()));
        let resp = self.call(Method::POST, &path, Some("{}".to_owned())).await.map_err(|e| e.to_string())?;
        if resp.status().is_success() {
            Ok(())
        } else {
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            Err(format!("HTTP {status}: {}", body.chars().take(200).collect::<String>()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let user = OwnedUserId::try_from("@treecast:localhost").unwrap();
        let a = AppService {
            homeserver: "http://h".into(),
            token: "secret-as-token".into(),
            user,
            http: matrix_sdk::reqwest::Client::new(),
        };
        let shown = format!("{a:?}");
        assert!(shown.contains("@treecast:localhost"));
        assert!(!shown.contains("secret-as-token"));
    }
}
