//! Logging in once and restoring the same session (and device) afterwards.

use std::path::{Path, PathBuf};

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::{RequestConfig, SyncSettings};
use matrix_sdk::ruma::{OwnedDeviceId, OwnedUserId};
use matrix_sdk::{Client, SessionMeta, SessionTokens};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use treecast_wire::{AdapterError, Platform};

use crate::appservice::AppService;
use crate::private_dir::make_private;
use crate::settings::{Settings, ENV_ACCESS_TOKEN, ENV_AS_TOKEN, ENV_PASSWORD, ENV_STORE_PASSPHRASE};

/// What `session.json` in the store directory holds.
#[derive(Serialize, Deserialize)]
struct SavedSession {
    homeserver: String,
    session: MatrixSession,
    /// The first sync after login has run: the store knows the bot's rooms
    /// and the sync token, and history before it is never replayed.
    primed: bool,
}

fn fail(message: impl Into<String>) -> AdapterError {
    AdapterError::new(Platform::Matrix, message)
}

fn session_path(store_dir: &Path) -> PathBuf {
    store_dir.join("session.json")
}

/// Opens the store, restores or creates the session, and runs the first
/// sync of a new session. Returns the ready client.
pub async fn open(settings: &Settings) -> Result<Client, AdapterError> {
    let user_id = OwnedUserId::try_from(settings.user_id.as_str()).map_err(|_| {
        fail(format!("matrix.user_id `{}` is not a Matrix user id like @name:server", settings.user_id))
    })?;
    let dir = &settings.store_dir;
    prepare_store_dir(dir)?;
    let passphrase = std::env::var(ENV_STORE_PASSPHRASE).ok();
    // No automatic retries: a 429 must reach the core's outbox, which retries.
    let requests = RequestConfig::new().disable_retry().timeout(Duration::from_secs(60));
    let client = Client::builder()
        .homeserver_url(&settings.homeserver)
        .sqlite_store(settings.store_dir.join("store"), passphrase.as_deref())
        .request_config(requests)
        .build()
        .await
        .map_err(|e| {
            fail(format!("cannot open the store in {} for {}: {e}", settings.store_dir.display(), settings.homeserver))
        })?;
    // The databases the builder just created got the process's umask.
    make_private(dir).map_err(|e| fail(format!("cannot make the store in {} private: {e}", dir.display())))?;

    let path = session_path(&settings.store_dir);
    let saved = read_saved(&path)?;
    let primed = match saved {
        Some(saved) => {
            if saved.session.meta.user_id != user_id {
                return Err(fail(format!(
                    "the store in {} belongs to {}, not {}; use another matrix.store_dir",
                    settings.store_dir.display(),
                    saved.session.meta.user_id,
                    user_id
                )));
            }
            rewind_to_position(&client, dir).await?;
            client
                .restore_session(saved.session)
                .await
                .map_err(|e| fail(format!("cannot restore the saved session: {e}")))?;
            saved.primed
        }
        None => {
            login(&client, settings, &user_id).await?;
            write_saved(&path, &client, settings, false)?;
            false
        }
    };
    if !primed {
        client
            .sync_once(SyncSettings::default().timeout(Duration::ZERO))
            .await
            .map_err(|e| fail(format!("the first sync with {} failed: {e}", settings.homeserver)))?;
        write_saved(&path, &client, settings, true)?;
    }
    Ok(client)
}

/// Sets the client's stored sync token back to treecast's read position
/// (`inbound.rs`), before the session is restored (which loads it). After a
/// crash the client holds the token of a sync whose events the core never
/// committed; syncing again from the position ends at that same token, and
/// the client drops a response ending at the token it holds ("the same sync
/// response twice"): those events were lost instead of offered again.
async fn rewind_to_position(client: &Client, dir: &Path) -> Result<(), AdapterError> {
    use matrix_sdk::store::{StateStoreDataKey, StateStoreDataValue};
    let Some(position) = crate::inbound::saved_position(dir) else { return Ok(()) };
    let token = StateStoreDataValue::SyncToken(position);
    client
        .state_store()
        .set_kv_data(StateStoreDataKey::SyncToken, token)
        .await
        .map_err(|e| fail(format!("cannot set the sync token back to the read position in {}: {e}", dir.display())))
}

/// Creates the store directory private, or makes an existing one private:
/// it holds the access token and the end-to-end keys.
fn prepare_store_dir(dir: &Path) -> Result<(), AdapterError> {
    let tightened = make_private(dir)
        .map_err(|e| fail(format!("cannot create the store directory {} as private: {e}", dir.display())))?;
    if tightened > 0 {
        tracing::info!(
            "Matrix 存储目录 {0} 原先其他系统用户也能读取，已收紧 {tightened} 项权限（目录 0700、文件 0600）。 / \
             The Matrix store directory {0} was readable by other system users; tightened {tightened} entries \
             (directories 0700, files 0600).",
            dir.display()
        );
    }
    Ok(())
}

async fn login(client: &Client, settings: &Settings, user_id: &OwnedUserId) -> Result<(), AdapterError> {
    if let Some(appservice) = AppService::from_env(&settings.homeserver, user_id) {
        let session = appservice.login(&settings.device_name).await?;
        return client
            .restore_session(session)
            .await
            .map_err(|e| fail(format!("cannot use the device the application-service login made: {e}")));
    }
    if let Ok(token) = std::env::var(ENV_ACCESS_TOKEN) {
        let device_id = whoami_device(settings, &token).await?;
        let session = MatrixSession {
            meta: SessionMeta { user_id: user_id.clone(), device_id },
            tokens: SessionTokens { access_token: token, refresh_token: None },
        };
        return client
            .restore_session(session)
            .await
            .map_err(|e| fail(format!("cannot use the access token from {ENV_ACCESS_TOKEN}: {e}")));
    }
    let Ok(password) = std::env::var(ENV_PASSWORD) else {
        return Err(fail(format!(
            "no saved session in {} and none of {ENV_AS_TOKEN}, {ENV_PASSWORD} or {ENV_ACCESS_TOKEN} is set",
            settings.store_dir.display()
        )));
    };
    client
        .matrix_auth()
        .login_username(user_id, &password)
        .initial_device_display_name(&settings.device_name)
        .send()
        .await
        .map_err(|e| fail(format!("login as {user_id} at {} failed: {}", settings.homeserver, login_reason(&e))))?;
    Ok(())
}

fn login_reason(e: &matrix_sdk::Error) -> String {
    match e.as_client_api_error() {
        Some(api) if api.status_code.as_u16() == 403 => "the homeserver refused the password".to_owned(),
        Some(api) if api.status_code.as_u16() == 429 => "too many logins, the homeserver rate-limited it".to_owned(),
        _ => e.to_string(),
    }
}

/// Asks the homeserver which device an access token belongs to.
async fn whoami_device(settings: &Settings, token: &str) -> Result<OwnedDeviceId, AdapterError> {
    #[derive(Deserialize)]
    struct WhoAmI {
        device_id: Option<OwnedDeviceId>,
    }
    let url = format!("{}/_matrix/client/v3/account/whoami", settings.homeserver.trim_end_matches('/'));
    let resp = matrix_sdk::reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| fail(format!("cannot reach {}: {e}", settings.homeserver)))?;
    if !resp.status().is_success() {
        return Err(fail(format!("the homeserver rejected the token in {ENV_ACCESS_TOKEN} ({})", resp.status())));
    }
    let bytes = resp.bytes().await.map_err(|e| fail(format!("cannot read the whoami answer: {e}")))?;
    let who: WhoAmI = serde_json::from_slice(&bytes).map_err(|e| fail(format!("unexpected whoami answer: {e}")))?;
    who.device_id
        .ok_or_else(|| fail(format!("the token in {ENV_ACCESS_TOKEN} has no device; make one with a password login")))
}

fn read_saved(path: &Path) -> Result<Option<SavedSession>, AdapterError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| fail(format!("the session file {} is damaged: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fail(format!("cannot read the session file {}: {e}", path.display()))),
    }
}

fn write_saved(path: &Path, client: &Client, settings: &Settings, primed: bool) -> Result<(), AdapterError> {
    let session = client.matrix_auth().session().ok_or_else(|| fail("logged in but the client has no session"))?;
    let saved = SavedSession { homeserver: settings.homeserver.clone(), session, primed };
    let bytes = serde_json::to_vec_pretty(&saved).map_err(|e| fail(format!("cannot encode the session: {e}")))?;
    let tmp = path.with_extension("json.tmp");
    write_private(&tmp, &bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| fail(format!("cannot write the session file {}: {e}", path.display())))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}
