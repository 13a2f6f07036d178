//! Signed content packs: how one NGO updates fifty kiosks from a USB stick.
//!
//! A pack is a zip of a corpus folder (`PACK.zip`) with a minisign signature
//! beside it (`PACK.zip.minisig`, ed25519, readable by the `minisign` tool:
//! `minisign -Vm PACK.zip -p publisher.pub`). The signature's trusted comment
//! carries the pack's sequence number, so a kiosk refuses a pack older than
//! the one it has from the same key (an old pack with a withdrawn entry cannot
//! be brought back), and a changed byte anywhere fails the signature.
//!
//! [`make`] writes a pack from a corpus folder; [`open`] checks one against
//! the kiosk's trusted keys and unpacks it into a temporary folder, every
//! member confined and bounded, for [`super::install`] to check and install.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use minisign::{PublicKey, SecretKey, SignatureBox};

/// The signature file beside a pack: `PACK.zip` → `PACK.zip.minisig`.
pub const SIGNATURE_SUFFIX: &str = ".minisig";
/// Written in the installed corpus: which pack it came from.
pub const RECORD_FILE: &str = ".awal-pack.json";
/// Members in a pack (the whole of `corpora/` holds a few hundred).
const MAX_FILES: usize = 20_000;
/// Bytes a pack unpacks to, all members together.
const MAX_TOTAL_BYTES: u64 = 4 << 30;
/// A minisign signature file is about 300 bytes.
const MAX_SIGNATURE_BYTES: u64 = 4096;

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error(
        "{}: unsigned: there is no {} beside it; a kiosk installs only packs signed by a key it trusts \
         (awal.toml [packs] trusted_keys), or a folder with --unsigned",
        pack.display(),
        signature.display()
    )]
    Unsigned { pack: PathBuf, signature: PathBuf },
    #[error(
        "{}: this kiosk trusts no publisher yet: add the publisher's public key (the line after \"untrusted \
         comment\" in its .pub file) to awal.toml: [packs] trusted_keys = [\"RW…\"]",
        pack.display()
    )]
    NoTrustedKeys { pack: PathBuf },
    #[error("{}: signed by key {key_id}, which this kiosk does not trust (awal.toml [packs] trusted_keys)", pack.display())]
    UntrustedKey { pack: PathBuf, key_id: String },
    #[error(
        "{}: the signature does not match: the pack was changed or damaged after it was signed; nothing was installed",
        pack.display()
    )]
    Tampered { pack: PathBuf },
    #[error(
        "{}: pack {sequence} is older than the installed pack {installed} from the same publisher; nothing was installed",
        pack.display()
    )]
    Older { pack: PathBuf, sequence: u64, installed: u64 },
    #[error("{}: pack {sequence} is already installed", pack.display())]
    AlreadyInstalled { pack: PathBuf, sequence: u64 },
    #[error("{}: {message}", pack.display())]
    Malformed { pack: PathBuf, message: String },
    #[error("key {}: {message}", path.display())]
    Key { path: PathBuf, message: String },
    #[error("trusted key {key:?} in awal.toml: {message}")]
    TrustedKey { key: String, message: String },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

/// Where a pack came from, kept in the corpus it installed ([`RECORD_FILE`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackRecord {
    /// The signing key's id, as minisign prints it (16 hex digits).
    pub key_id: String,
    pub sequence: u64,
}

/// A checked pack, unpacked into a temporary folder (removed when dropped).
pub struct OpenedPack {
    pub dir: tempfile::TempDir,
    pub record: PackRecord,
}

/// What [`make`] wrote.
#[derive(Debug, serde::Serialize)]
pub struct Made {
    pub pack: PathBuf,
    pub signature: PathBuf,
    pub files: usize,
    pub bytes: u64,
    pub record: PackRecord,
}

/// Packs the corpus folder `corpus_dir` into `out` and signs it with the
/// minisign secret key at `key` (`password` for an encrypted one, as
/// `minisign -G` makes them). Hidden files are left out; a symbolic link is
/// refused. Written beside `out` and renamed into place.
pub fn make(
    corpus_dir: &Path,
    out: &Path,
    key: &Path,
    password: Option<String>,
    sequence: u64,
) -> Result<Made, PackError> {
    let secret = read_secret_key(key, password)?;
    let public = PublicKey::from_secret_key(&secret).map_err(|e| key_error(key, e))?;
    let key_id = key_id(public.keynum());

    let mut files = Vec::new();
    corpus_files(corpus_dir, Path::new(""), &mut files)?;
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut zip_tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    let mut bytes = 0;
    {
        let mut zip = zip::ZipWriter::new(zip_tmp.as_file_mut());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o644);
        for relative in &files {
            let name = relative.to_str().ok_or_else(|| PackError::Malformed {
                pack: corpus_dir.join(relative),
                message: "a file name that is not UTF-8".into(),
            })?;
            let path = corpus_dir.join(relative);
            zip.start_file(name, options).map_err(|e| zip_error(out, e))?;
            let mut file = File::open(&path).map_err(io(&path))?;
            bytes += std::io::copy(&mut file, &mut zip).map_err(io(&path))?;
        }
        zip.finish().map_err(|e| zip_error(out, e))?;
    }
    zip_tmp.as_file().sync_all().map_err(io(out))?;

    let comment = format!("awal-pack sequence:{sequence} files:{}", files.len());
    let reader = File::open(zip_tmp.path()).map_err(io(out))?;
    let signature = minisign::sign(Some(&public), &secret, BufReader::new(reader), Some(comment.as_str()), None)
        .map_err(|e| key_error(key, e))?;
    let signature_path = signature_path(out);
    let mut signature_tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    signature_tmp.write_all(signature.to_string().as_bytes()).map_err(io(&signature_path))?;
    zip_tmp.persist(out).map_err(|e| PackError::Io { path: out.to_path_buf(), source: e.error })?;
    signature_tmp
        .persist(&signature_path)
        .map_err(|e| PackError::Io { path: signature_path.clone(), source: e.error })?;
    tracing::info!(files = files.len(), sequence, key_id, "content pack written to {}", out.display());
    Ok(Made {
        pack: out.to_path_buf(),
        signature: signature_path,
        files: files.len(),
        bytes,
        record: PackRecord { key_id, sequence },
    })
}

/// Checks `pack` (its signature against `trusted_keys`, its sequence against
/// the pack `installed` from the same key) and unpacks it into a temporary
/// folder `near` (on the same file system as the corpus).
pub fn open(
    pack: &Path,
    trusted_keys: &[String],
    installed: Option<&PackRecord>,
    near: &Path,
) -> Result<OpenedPack, PackError> {
    let malformed = |message: String| PackError::Malformed { pack: pack.to_path_buf(), message };
    let signature_path = signature_path(pack);
    if !signature_path.is_file() {
        return Err(PackError::Unsigned { pack: pack.to_path_buf(), signature: signature_path });
    }
    if trusted_keys.is_empty() {
        return Err(PackError::NoTrustedKeys { pack: pack.to_path_buf() });
    }
    let signature_text = read_bounded(&signature_path, MAX_SIGNATURE_BYTES)?;
    let signature = SignatureBox::from_string(&signature_text)
        .map_err(|e| malformed(format!("{}: not a minisign signature: {e}", signature_path.display())))?;
    let trusted = trusted_keys
        .iter()
        .map(|key| {
            PublicKey::from_base64(key.trim())
                .map_err(|e| PackError::TrustedKey { key: key.clone(), message: e.to_string() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let signer = key_id(signature.keynum());
    let Some(public) = trusted.iter().find(|key| key.keynum() == signature.keynum()) else {
        return Err(PackError::UntrustedKey { pack: pack.to_path_buf(), key_id: signer });
    };
    let file = File::open(pack).map_err(io(pack))?;
    if minisign::verify(public, &signature, BufReader::new(file), true, false, false).is_err() {
        return Err(PackError::Tampered { pack: pack.to_path_buf() });
    }

    // The trusted comment is covered by the signature: its sequence is the publisher's.
    let comment = signature.trusted_comment().map_err(|e| malformed(e.to_string()))?;
    let sequence = comment
        .split_whitespace()
        .find_map(|word| word.strip_prefix("sequence:"))
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| malformed(format!("the signature's trusted comment has no sequence number: {comment:?}")))?;
    if let Some(installed) = installed.filter(|record| record.key_id == signer) {
        if sequence < installed.sequence {
            return Err(PackError::Older { pack: pack.to_path_buf(), sequence, installed: installed.sequence });
        }
        if sequence == installed.sequence {
            return Err(PackError::AlreadyInstalled { pack: pack.to_path_buf(), sequence });
        }
    }

    let dir = tempfile::Builder::new().prefix(".awal-pack-").tempdir_in(near).map_err(io(near))?;
    unpack(pack, dir.path())?;
    Ok(OpenedPack { dir, record: PackRecord { key_id: signer, sequence } })
}

/// The record of the pack a corpus came from, if it came from one.
pub fn installed_record(corpus_dir: &Path) -> Option<PackRecord> {
    let text = std::fs::read_to_string(corpus_dir.join(RECORD_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// `PACK.zip` → `PACK.zip.minisig`.
pub fn signature_path(pack: &Path) -> PathBuf {
    let mut name = pack.as_os_str().to_owned();
    name.push(SIGNATURE_SUFFIX);
    PathBuf::from(name)
}

/// Unpacks every member of the (verified) zip under `dir`: names confined to
/// it, no links, counts and sizes bounded (a signed pack can still be a
/// mistake: a publisher zipping the wrong folder).
fn unpack(pack: &Path, dir: &Path) -> Result<(), PackError> {
    let malformed = |message: String| PackError::Malformed { pack: pack.to_path_buf(), message };
    let file = File::open(pack).map_err(io(pack))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| malformed(format!("not a zip: {e}")))?;
    if archive.len() > MAX_FILES {
        return Err(malformed(format!("{} members (at most {MAX_FILES})", archive.len())));
    }
    let mut total = 0u64;
    for index in 0..archive.len() {
        let mut member = archive.by_index(index).map_err(|e| malformed(format!("member {index}: {e}")))?;
        let name = member.name().map_err(|e| malformed(format!("member {index}: {e}")))?.to_string();
        let Some(relative) = member.enclosed_name() else {
            return Err(malformed(format!("{name:?}: a path leading out of the pack")));
        };
        if member.is_symlink() {
            return Err(malformed(format!("{name}: a symbolic link")));
        }
        let target = dir.join(&relative);
        if member.is_dir() {
            std::fs::create_dir_all(&target).map_err(io(&target))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        // The declared size is the zip's word; what is read is bounded anyway.
        let budget = MAX_TOTAL_BYTES.saturating_sub(total);
        let mut out = File::create_new(&target).map_err(io(&target))?;
        let written = std::io::copy(&mut (&mut member).take(budget + 1), &mut out).map_err(io(&target))?;
        total += written;
        if total > MAX_TOTAL_BYTES {
            return Err(malformed(format!("unpacks to more than {MAX_TOTAL_BYTES} bytes")));
        }
    }
    Ok(())
}

/// The plain files under `corpus_dir/relative` (hidden ones left out).
fn corpus_files(corpus_dir: &Path, relative: &Path, out: &mut Vec<PathBuf>) -> Result<(), PackError> {
    let dir = corpus_dir.join(relative);
    let mut items: Vec<_> =
        std::fs::read_dir(&dir).map_err(io(&dir))?.collect::<Result<Vec<_>, _>>().map_err(io(&dir))?;
    items.sort_by_key(|item| item.file_name());
    for item in items {
        if item.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let relative = relative.join(item.file_name());
        let kind = item.file_type().map_err(io(&item.path()))?;
        if kind.is_symlink() {
            return Err(PackError::Malformed {
                pack: corpus_dir.join(&relative),
                message: "a symbolic link: a pack holds the files themselves".into(),
            });
        } else if kind.is_dir() {
            corpus_files(corpus_dir, &relative, out)?;
        } else if kind.is_file() {
            out.push(relative);
        }
    }
    Ok(())
}

/// Whether the minisign secret key at `path` is sealed by a password.
pub fn key_has_password(path: &Path) -> Result<bool, PackError> {
    let (_, bytes) = secret_key_file(path)?;
    // The key's second field names its key-derivation algorithm; none is 0.
    Ok(bytes.get(2..4) != Some(&[0, 0][..]))
}

fn read_secret_key(path: &Path, password: Option<String>) -> Result<SecretKey, PackError> {
    let (text, bytes) = secret_key_file(path)?;
    match password {
        Some(password) => minisign::SecretKeyBox::from_string(&text)
            .and_then(|sealed| sealed.into_secret_key(Some(password)))
            .map_err(|e| key_error(path, e)),
        // Read from its bytes: minisign 0.11 writes a key made without a
        // password (`-G -W`) with an empty checksum, which the crate's own
        // reader takes for a corrupted key. A wrong key still fails: the
        // signature is checked against its public half as it is made.
        None => SecretKey::from_bytes(&bytes).map_err(|e| key_error(path, e)),
    }
}

/// A minisign secret key file's text and its key line decoded.
fn secret_key_file(path: &Path) -> Result<(String, Vec<u8>), PackError> {
    use ct_codecs::{Base64, Decoder};
    let text = read_bounded(path, MAX_SIGNATURE_BYTES)?;
    let not_a_key = || PackError::Key { path: path.to_path_buf(), message: "not a minisign secret key".into() };
    let line = text.lines().nth(1).ok_or_else(not_a_key)?;
    let bytes = Base64::decode_to_vec(line.trim(), None).map_err(|_| not_a_key())?;
    Ok((text, bytes))
}

fn read_bounded(path: &Path, limit: u64) -> Result<String, PackError> {
    let file = File::open(path).map_err(io(path))?;
    let mut text = String::new();
    file.take(limit + 1).read_to_string(&mut text).map_err(io(path))?;
    if text.len() as u64 > limit {
        return Err(PackError::Malformed { pack: path.to_path_buf(), message: format!("longer than {limit} bytes") });
    }
    Ok(text)
}

/// A key id as minisign prints it: the 8-byte key number, little-endian, in hex.
fn key_id(keynum: &[u8]) -> String {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&keynum[..8]);
    format!("{:016X}", u64::from_le_bytes(bytes))
}

fn key_error(path: &Path, error: minisign::PError) -> PackError {
    PackError::Key { path: path.to_path_buf(), message: error.to_string() }
}

fn zip_error(pack: &Path, error: zip::result::ZipError) -> PackError {
    PackError::Malformed { pack: pack.to_path_buf(), message: error.to_string() }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> PackError + '_ {
    move |source| PackError::Io { path: path.to_path_buf(), source }
}
