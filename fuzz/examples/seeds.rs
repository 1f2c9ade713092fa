//! Writes the committed seed corpora, `fuzz/seeds/<target>/` (docs/fuzzing.md): small, valid
//! inputs for every target, made from the test fixtures (crates/hush-import/tests/data and
//! crates/hush-ssh/tests/data), the
//! known-answer vectors (docs/spec/crypto-v2-vectors.json) and a vault this program creates.
//! A fuzzer that starts from valid inputs reaches the deep parts of a parser in seconds rather
//! than hours, which is what makes a short CI smoke run worth having.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seeds` (from the repository's root)
//! rewrites them. Vault ids and nonces are random, so the vault-based seeds differ from run to
//! run; the others are fixed.

use std::fs;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::path::{Path, PathBuf};

use hush_crypto::{AccountId, AccountKey, FileChunk, FileKey, FloorPolicy, KdfParams, SetupCode, open_local};
use hush_import::hush_json;
use hush_vault::encoding;
use hush_vault::local_state::{STATE_LABEL, SyncState};
use hush_vault::{CustomField, ITEM_VERSION, Item, ItemKind, Vault};
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the repository").to_owned()
}

struct Seeds {
    dir: PathBuf,
}

impl Seeds {
    fn target(name: &str) -> Seeds {
        let dir = root().join("fuzz/seeds").join(name);
        // Start over, so that a seed this program no longer makes does not linger.
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create the seed folder");
        Seeds { dir }
    }

    fn put(&self, name: &str, bytes: impl AsRef<[u8]>) -> &Self {
        fs::write(self.dir.join(name), bytes).expect("write a seed");
        self
    }
}

fn hex(value: &Value) -> Vec<u8> {
    let text = value.as_str().expect("a hex string");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

fn sample_items() -> Vec<Item> {
    let mut login = Item::new(ItemKind::Login, "github", 1_700_000_000);
    login.username = "octocat".into();
    login.password = "correct horse battery staple".into();
    login.urls = vec!["https://github.com/login".into(), "github.com".into()];
    login.totp = Some("otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP&issuer=GitHub".into());
    login.tags = vec!["work".into()];
    login.fields = vec![CustomField { name: "recovery".into(), value: "1234-5678".into(), hidden: true }];
    login.set_password("a newer one".into(), 1_700_000_100);
    let mut note = Item::new(ItemKind::Note, "wifi", 1_700_000_000);
    note.notes = "SSID: home\npassword: swordfish".into();
    let mut card = Item::new(ItemKind::Card, "visa", 1_700_000_000);
    card.fields = vec![CustomField { name: "number".into(), value: "4111111111111111".into(), hidden: true }];
    let totp_only = {
        let mut item = Item::new(ItemKind::TotpOnly, "aws", 1_700_000_000);
        item.totp = Some("otpauth://totp/AWS?secret=GEZDGNBVGY3TQOJQ&algorithm=SHA256&digits=8&period=60".into());
        item
    };
    let tombstone = login.tombstone(1_700_000_200);
    vec![login, note, card, totp_only, tombstone]
}

fn main() {
    let vectors: Value = serde_json::from_slice(
        &fs::read(root().join("docs/spec/crypto-v2-vectors.json")).expect("the crypto v2 vectors"),
    )
    .expect("JSON");
    let import_data = root().join("crates/hush-import/tests/data/import");
    let fixture = |name: &str| fs::read(import_data.join(name)).expect("an import fixture");
    let items = sample_items();

    // A vault with items and a sync state, as `hush` writes it.
    let weak = KdfParams { m_kib: 8, t: 1, p: 1 };
    let (mut vault, _) = Vault::create("seeds", weak, FloorPolicy::AllowInsecure).expect("a vault");
    let empty = vault.to_bytes();
    for item in &items {
        vault.add(item.clone());
    }
    vault.state_mut().sync = Some(SyncState {
        server_url: "https://hush.example.org".into(),
        token: "token".into(),
        session_id: "00000000-0000-4000-8000-000000000000".into(),
        seq: 7,
        auto_sync: true,
        insecure_http: false,
    });
    let full = vault.to_bytes();
    let header_len = u32::from_le_bytes(full[10..14].try_into().expect("4 bytes")) as usize;
    let format_1 = {
        // Format 1 (docs/vault-format.md): the same start without the header's checksum.
        let mut old = [&full[..14 + header_len], &full[14 + header_len + 32..]].concat();
        old[8..10].copy_from_slice(&1u16.to_le_bytes());
        old
    };
    Seeds::target("vault_file").put("empty.hush", &empty).put("five-items.hush", &full).put("format-1.hush", &format_1);
    Seeds::target("vault_header").put("header", &full[14..14 + header_len]);

    let seeds = Seeds::target("item_plaintext");
    for (i, item) in items.iter().enumerate() {
        let plain = encoding::encode(ITEM_VERSION, item);
        seeds.put(&format!("{i}-{}", item.kind.as_str()), &plain[..]);
        // The same item in format 1 (docs/vault-format.md, "Item format versions"): format 2
        // only appended `trashed`, which for an item not in the trash is bincode's one-byte
        // `None`. Written by hand because format 1 has no writer any more.
        if item.trashed.is_none() {
            let mut v1 = plain.to_vec();
            v1[0] = 1;
            assert_eq!(v1.pop(), Some(0), "format 2 ends with `trashed: None`");
            seeds.put(&format!("{i}-{}-format-1", item.kind.as_str()), &v1);
        }
    }

    let file = vault.to_file();
    let state = open_local(vault.vault_key(), STATE_LABEL, &vault.account_id(), &file.state).expect("the state");
    let empty_file = hush_vault::VaultFile::from_bytes(&empty).expect("the empty vault");
    let empty_state =
        open_local(vault.vault_key(), STATE_LABEL, &vault.account_id(), &empty_file.state).expect("the state");
    Seeds::target("sealed_state").put("five-items-synced", &state[..]).put("empty", &empty_state[..]);

    let seeds = Seeds::target("keyset");
    for (i, v) in vectors["keyset"].as_array().expect("keyset vectors").iter().enumerate() {
        seeds.put(&format!("keyset-{i}"), hex(&v["blob"])).put(&format!("ring-{i}"), hex(&v["ring"]));
    }
    let seeds = Seeds::target("manifest");
    for (i, v) in vectors["manifest"].as_array().expect("manifest vectors").iter().enumerate() {
        seeds.put(&format!("payload-{i}"), hex(&v["payload"]));
    }

    let names = vectors["device_name"].as_array().expect("device name vectors");
    let first = &names[0];
    let account = AccountId(hex(&first["account_id"]).try_into().expect("16 bytes"));
    let account_key = AccountKey::from_slice(&hex(&first["account_key"])).expect("16 bytes");
    let code = SetupCode::encode(&account, &account_key);
    Seeds::target("setup_code")
        .put("canonical", code.as_bytes())
        .put("lower-case-without-dashes", code.replace('-', "").to_lowercase());
    let seeds = Seeds::target("device_name");
    for (i, v) in names.iter().enumerate() {
        seeds.put(&format!("name-{i}"), v["name"].as_str().expect("a name")).put(&format!("sealed-{i}"), hex(&v["sealed"]));
    }

    Seeds::target("otpauth")
        .put("key-uri", "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30")
        .put("sha512", "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&algorithm=SHA512&digits=8&period=60")
        .put("bare-secret", "JBSWY3DPEHPK3PXP")
        .put("spaced-secret", "jbsw y3dp ehpk 3pxp");

    Seeds::target("import_bitwarden_json").put("bitwarden.json", fixture("bitwarden.json"));
    Seeds::target("import_hush_json").put("export.json", &hush_json::write_json(&items, 1_700_000_300)[..]);
    let seeds = Seeds::target("import_csv");
    for (selector, name) in
        ["bitwarden.csv", "keepassxc.csv", "1password.csv", "chrome.csv", "firefox.csv"].iter().enumerate()
    {
        seeds.put(name, [&[selector as u8][..], &fixture(name)].concat());
    }
    Seeds::target("import_pass").put(
        "entry",
        "Email/github.com\0hunter2 with spaces\nlogin: octocat\nurl: https://github.com\n\
         otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP\nrecovery codes follow\n",
    );

    let seeds = Seeds::target("api_json");
    let id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    let b64 = |n: usize| URL_SAFE_NO_PAD.encode(vec![0u8; n]);
    let messages = [
        ("register", json!({"account_id": id, "kdf": {"m_kib": 262144, "t": 3, "p": 4, "salt": b64(16)},
            "auth_public_key": b64(32), "keyset": "AQEAAAA", "registration_code": "code"})),
        ("challenge", json!({"account_id": id})),
        ("challenge-answer", json!({"challenge": b64(32), "expires_in": 300})),
        ("login", json!({"account_id": id, "challenge": b64(32),
            "signature": b64(64), "device_name": b64(110)})),
        ("login-answer", json!({"token": "abc", "session_id": id, "expires_at": "2027-01-15T08:00:00Z"})),
        ("sessions", json!({"sessions": [{"id": id, "device_name": null, "created": "2027-01-15T08:00:00Z",
            "last_seen": "2027-01-15T08:00:00Z", "current": true}]})),
        ("pull", json!({"seq": 57, "keyset": "AQ", "key_version": 3, "manifest": "Ag",
            "items": [{"id": id, "seq": 55, "blob": "AQID"}]})),
        ("push", json!({"base_seq": 57, "manifest": "AQID", "items": [{"id": id, "blob": "BAUG"}]})),
        ("rekey", json!({"base_seq": 58, "kdf": {"m_kib": 65536, "t": 3, "p": 1, "salt": b64(16)},
            "auth_public_key": b64(32), "keyset": "AgEAAAA", "signature": b64(64)})),
        ("error", json!({"error": "conflict", "message": "stale", "seq": 58})),
    ];
    for (name, message) in &messages {
        seeds.put(name, serde_json::to_vec(message).expect("JSON"));
    }
    seeds.put("id", id).put("id-lenient", "0F1E2D3C4B5A69788796A5B4C3D2E1F0");

    // `api_server`: route byte, options byte, path parameter or query, NUL, body.
    let seeds = Seeds::target("api_server");
    let request = |route: u8, options: u8, param: &str, body: &Value| {
        let body = if body.is_null() { Vec::new() } else { serde_json::to_vec(body).expect("JSON") };
        [&[route, options][..], param.as_bytes(), &[0], &body].concat()
    };
    let fixture_account = "01010101-0101-0101-0101-010101010101";
    for (name, route, options, param, body) in [
        ("register", 0, 0, "", messages[0].1.clone()),
        ("prelogin", 1, 0x10, "", Value::Null),
        ("prelogin-unknown", 1, 0, id, Value::Null),
        ("delete-account", 2, 1, "", json!({"challenge": b64(32), "signature": b64(64)})),
        ("challenge", 3, 0, "", json!({"account_id": fixture_account})),
        ("login", 4, 0, "", messages[3].1.clone()),
        ("sessions", 5, 1, "", Value::Null),
        ("logout", 6, 0, "", Value::Null),
        ("revoke", 7, 1, id, Value::Null),
        ("pull", 8, 1, "since=0", Value::Null),
        ("push", 9, 1, "", json!({"base_seq": 0, "manifest": "AQID", "items": [{"id": id, "blob": "BAUG"}]})),
        ("rekey", 10, 1, "", messages[8].1.clone()),
        ("health", 11, 0, "", Value::Null),
        ("openapi", 12, 0, "", Value::Null),
        ("unknown-route", 13, 0, "v2/nothing", Value::Null),
    ] {
        seeds.put(name, request(route, options, param, &body));
    }

    Seeds::target("agent_protocol")
        .put("get-key", "{\"v\":2,\"op\":\"get_key\"}\n")
        .put("put-key", format!(
            "{{\"v\":2,\"op\":\"put_key\",\"account_id\":\"{id}\",\"key_version\":1,\"key\":\"AQAAAAEAAAAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw==\",\"timeout_secs\":900}}\n"
        ))
        .put("status-answer", "{\"v\":2,\"status\":{\"unlocked\":true,\"account_id\":null,\"timeout_secs\":900,\"remaining_secs\":873,\"pid\":4242}}\n")
        .put("key-answer", format!(
            "{{\"v\":2,\"key\":{{\"account_id\":\"{id}\",\"key_version\":1,\"key\":\"AQAAAAEAAAAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw==\"}}}}\n"
        ))
        .put("lock-other-version", "{\"v\":1,\"op\":\"lock\"}\n");

    // `secret_ref`: references as `hush read` takes them, and templates as `hush inject` and
    // `hush run` fill them (docs/secret-references.md).
    Seeds::target("secret_ref")
        .put("reference", "hush://github/password")
        .put("reference-escaped", "hush://my%20bank%2Fjoint/PIN%20code")
        .put("reference-utf8", "hush://caf%C3%A9/totp")
        .put("item-and-field", "100% {secret}\0api key")
        .put("env-value", "postgres://app:{{ hush://db/password }}@db.internal/app")
        .put(
            "config-template",
            "# app.yaml\nuser: {{ hush://db/username }}\npass: {{hush://db/password}}\n\
             replicas: {{ .Values.replicas }}\nkey: \"{{ hush://aws/secret%20key }}\"\n",
        )
        .put("unresolvable-template", "url: https://example.org\ntoken: {{ hush://github }}\n");

    // `git_credential`: a request as git writes it, a blank line, candidate URLs, a blank line,
    // `USERNAME:PASSWORD` for an answer (fuzz/fuzz_targets/git_credential.rs).
    Seeds::target("git_credential")
        .put(
            "get",
            "protocol=https\nhost=github.com\n\nhttps://github.com/login\ngithub.com\n\noctocat:correct horse",
        )
        .put(
            "get-with-path",
            "capability[]=authtype\nprotocol=https\nhost=forge.example\npath=work-org/app.git\nusername=me\n\n\
             https://forge.example/work-org\nhttps://forge.example\nhttps://forge.example/other\n\nme:p=ss word",
        )
        .put(
            "get-http-port",
            "protocol=http\nhost=127.0.0.1:8080\nwwwauth[]=Basic realm=\"git\"\n\n\
             http://127.0.0.1:8080/repo.git\n127.0.0.1:8080\n\n:token-only",
        )
        .put("url", "url=https://me@git.example.org:8443/org/repo.git\n\nhttps://git.example.org:8443/org\n")
        .put("store", "protocol=https\nhost=github.com\nusername=octocat\npassword=hunter2\n\n");

    // `ssh_key_import`: ssh-keygen's test keys, encrypted ones with hush_fuzz::SSH_PASSPHRASE;
    // the PEM key and the public line are files a user might name by mistake.
    let seeds = Seeds::target("ssh_key_import");
    for name in [
        "ed25519",
        "ed25519-encrypted",
        "ecdsa256",
        "ecdsa384",
        "ecdsa521",
        "ecdsa521-short",
        "ecdsa521-short-encrypted",
        "rsa2048-encrypted",
        "rsa3072",
        "rsa1024",
        "rsa2048-pem",
        "ed25519.pub",
    ] {
        seeds.put(name, fs::read(root().join("crates/hush-ssh/tests/data").join(name)).expect("a test key"));
    }

    // `file_chunk`: selector byte (bit 0 last, bits 1-2 index), the expected length (u16le) of
    // a last chunk, the sealed chunk. A chunk before the last holds 1 MiB: none is a seed, so
    // that inputs stay small.
    let seeds = Seeds::target("file_chunk");
    let key = FileKey::from_bytes(hush_fuzz::chunk::KEY);
    for (name, index, plain) in
        [("empty-file", 0u32, &b""[..]), ("short-file", 0, b"tail"), ("second-chunk", 1, &[7u8; 300][..])]
    {
        let sealed = FileChunk::seal(&key, &hush_fuzz::chunk::ACCOUNT, &hush_fuzz::chunk::FILE, index, true, plain);
        let len = u16::try_from(plain.len()).expect("a short chunk").to_le_bytes();
        seeds.put(name, [&[1 | (index as u8) << 1][..], &len, &sealed].concat());
    }

    eprintln!("wrote the seeds under {}", root().join("fuzz/seeds").display());
}
