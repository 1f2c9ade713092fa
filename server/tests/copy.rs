//! `hush-server copy` (`src/copy.rs`; docs/server.md, "Moving to PostgreSQL"): every direction
//! between SQLite and PostgreSQL keeps what devices check (ids, seqs, manifests, item seqs,
//! keysets) and what spares them a login (session token hashes), and refuses what would mix two
//! servers' data silently. The end-to-end move, with real devices syncing on, is
//! `copy_from_a_sqlite_server_in_use_to_postgres_and_sync_on` in tests/tests/postgres.rs.

use std::sync::Arc;

use hush_e2e::postgres as pg_cluster;
use hush_proto::{AccountId, B64, FileId, ItemId, KdfParams, SessionId};
use hush_server::copy::{CopyError, CopyReport, copy};
use hush_server::store::{AccountKeys, Admission, Location, NewSession, PgOptions, PushBatch, Quotas};
use hush_server::{PgStore, SqliteStore, Store};
use jiff::Timestamp;

const ROOMY: Quotas = Quotas { max_items: 100_000, max_bytes: 1 << 30 };

fn keys(seed: u8) -> AccountKeys {
    AccountKeys {
        kdf: KdfParams { m_kib: 65_536, t: 3, p: 1, salt: B64(vec![seed; 16]) },
        auth_public_key: [seed; 32],
        keyset: vec![1, 2, 0, 0, 0, seed],
        key_version: 2,
    }
}

/// Two accounts with items over several pushes (one push larger than a copy statement), sessions,
/// and an unused invite.
async fn fill(store: &dyn Store) {
    let now = Timestamp::from_second(1_800_000_000).expect("in range");
    store.create_invite([9; 32], now).await.expect("invite");
    for seed in [1u8, 2] {
        let id = AccountId::from_bytes([seed; 16]);
        store.create_account(id, keys(seed), Admission::Open).await.expect("account");
        let items = (0..1_234u32)
            .map(|n| {
                let mut item = [seed; 16];
                item[..4].copy_from_slice(&n.to_be_bytes());
                (ItemId::from_bytes(item), vec![seed; 50 + n as usize % 7])
            })
            .collect();
        store
            .push(id, PushBatch { base_seq: 0, manifest: vec![seed; 85], items }, ROOMY)
            .await
            .expect("push");
        // An edit of item 0: its seq becomes 2, the others stay at 1.
        let mut first = [seed; 16];
        first[..4].copy_from_slice(&0u32.to_be_bytes());
        let edit = vec![(ItemId::from_bytes(first), vec![0xEE; 99])];
        store
            .push(id, PushBatch { base_seq: 1, manifest: vec![seed + 10; 85], items: edit }, ROOMY)
            .await
            .expect("push");
        // Attached files' chunks: two files for account 1, one for account 2 (issue #13), each
        // chunk with the clear header the routes check (store methods do not).
        for file in 0..seed {
            for index in 0..2u32 {
                let chunk = vec![seed * 16 + file; 301 + index as usize];
                let file_id = FileId::from_bytes([0xF0 + file; 16]);
                store.put_chunk(id, file_id, index, chunk, u64::MAX).await.expect("chunk");
            }
        }
        for s in 0..3u8 {
            let session = NewSession {
                id: SessionId::from_bytes([seed * 10 + s; 16]),
                account_id: id,
                token_hash: [seed * 10 + s; 32],
                device_name: [s; hush_proto::SEALED_DEVICE_NAME_LEN],
                created: now,
            };
            store.create_session(session).await.expect("session");
        }
    }
}

/// Everything a device or a login could notice, read through the `Store` trait.
async fn observe(store: &dyn Store) -> Vec<String> {
    let mut seen = Vec::new();
    for seed in [1u8, 2] {
        let id = AccountId::from_bytes([seed; 16]);
        let account = store.account(id).await.expect("read").expect("copied");
        seen.push(format!("{:?} {:?} {}", account.keys.kdf, account.keys.keyset, account.seq));
        let usage = store.usage(id).await.expect("read").expect("copied");
        seen.push(format!("{usage:?}"));
        let pull = store.pull(id, 0).await.expect("pull");
        seen.push(format!("{} {:?}", pull.seq, pull.manifest));
        seen.extend(pull.items.iter().map(|i| format!("{} {} {:?}", i.id, i.seq, i.blob)));
        seen.push(format!("file bytes {:?}", store.file_bytes(id).await.expect("read")));
        for file in 0..2u8 {
            let file_id = FileId::from_bytes([0xF0 + file; 16]);
            for (index, size) in store.list_chunks(id, file_id).await.expect("list") {
                let chunk = store.get_chunk(id, file_id, index).await.expect("read");
                seen.push(format!("{file_id:?} {index} {size} {chunk:?}"));
            }
        }
        for session in store.list_sessions(id).await.expect("sessions") {
            seen.push(format!(
                "{:?} {:?} {:?} {}",
                session.id, session.token_hash, session.device_name, session.last_seen
            ));
        }
    }
    seen
}

enum Side {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Side {
    fn sqlite() -> Side {
        Side::Sqlite(tempfile::tempdir().expect("temp dir"))
    }

    fn postgres() -> Option<Side> {
        Some(Side::Postgres(pg_cluster::cluster_or_skip("hush-server copy with PostgreSQL")?.database()))
    }

    fn location(&self) -> Location {
        match self {
            Side::Sqlite(dir) => Location::Sqlite(dir.path().to_owned()),
            Side::Postgres(url) => Location::parse(url).expect("a postgres URL"),
        }
    }

    async fn open(&self) -> Arc<dyn Store> {
        match self {
            Side::Sqlite(dir) => Arc::new(SqliteStore::open(dir.path()).await.expect("opens")),
            Side::Postgres(url) => {
                Arc::new(PgStore::connect(url, PgOptions::default()).await.expect("opens"))
            }
        }
    }
}

async fn copy_keeps_everything(from: Side, to: Side) {
    let source = from.open().await;
    fill(source.as_ref()).await;
    let expected = observe(source.as_ref()).await;
    let report = copy(&from.location(), &to.location(), false, PgOptions::default()).await.expect("copied");
    assert_eq!(report, CopyReport { accounts: 2, items: 2 * 1_234, sessions: 6, invites: 1, chunks: 6 });
    let dest = to.open().await;
    assert_eq!(observe(dest.as_ref()).await, expected, "the copy reads exactly as the source");
    // The invite is usable once, and a session is found by its token hash.
    let new = AccountId::from_bytes([3; 16]);
    dest.create_account(new, keys(3), Admission::Invite([9; 32])).await.expect("the copied invite works");
    assert!(dest.session_by_token_hash([11; 32]).await.expect("read").is_some());
    // A second copy into the now non-empty destination is refused and changes nothing.
    let again = copy(&from.location(), &to.location(), false, PgOptions::default()).await;
    assert!(matches!(again, Err(CopyError::NotEmpty { accounts: 3, .. })), "{again:?}");
    // So is adding it with --into-non-empty: the accounts are there already, and nothing is copied.
    let merged = copy(&from.location(), &to.location(), true, PgOptions::default()).await;
    assert!(matches!(merged, Err(CopyError::AccountInBoth(_))), "{merged:?}");
    assert_eq!(observe(dest.as_ref()).await, expected);
}

#[tokio::test]
async fn sqlite_to_postgres_keeps_everything() {
    let Some(to) = Side::postgres() else { return };
    copy_keeps_everything(Side::sqlite(), to).await;
}

#[tokio::test]
async fn postgres_to_sqlite_keeps_everything() {
    let Some(from) = Side::postgres() else { return };
    copy_keeps_everything(from, Side::sqlite()).await;
}

#[tokio::test]
async fn postgres_to_postgres_keeps_everything() {
    let (Some(from), Some(to)) = (Side::postgres(), Side::postgres()) else { return };
    copy_keeps_everything(from, to).await;
}

#[tokio::test]
async fn sqlite_to_sqlite_keeps_everything() {
    copy_keeps_everything(Side::sqlite(), Side::sqlite()).await;
}

#[tokio::test]
async fn into_non_empty_adds_to_a_destination_with_other_accounts() {
    let (from, to) = (Side::sqlite(), Side::sqlite());
    fill(from.open().await.as_ref()).await;
    let dest = to.open().await;
    dest.create_account(AccountId::from_bytes([7; 16]), keys(7), Admission::Open).await.expect("account");
    let refused = copy(&from.location(), &to.location(), false, PgOptions::default()).await;
    assert!(matches!(refused, Err(CopyError::NotEmpty { accounts: 1, invites: 0, .. })), "{refused:?}");
    let report = copy(&from.location(), &to.location(), true, PgOptions::default()).await.expect("copied");
    assert_eq!(report.accounts, 2);
    assert!(dest.account(AccountId::from_bytes([7; 16])).await.expect("read").is_some(), "kept");
}

#[tokio::test]
async fn refuses_the_same_store_and_a_folder_without_a_database() {
    let side = Side::sqlite();
    fill(side.open().await.as_ref()).await;
    let same = copy(&side.location(), &side.location(), true, PgOptions::default()).await;
    assert!(matches!(same, Err(CopyError::SameStore(_))), "{same:?}");
    let empty = tempfile::tempdir().expect("temp dir");
    let missing =
        copy(&Location::Sqlite(empty.path().join("nothing")), &side.location(), true, PgOptions::default())
            .await;
    assert!(matches!(missing, Err(CopyError::NoSource(_))), "{missing:?}");
    assert!(!empty.path().join("nothing").exists(), "a missing source is not created");
}
