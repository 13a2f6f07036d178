//! Signed content packs: `awal corpus pack` on one kiosk's data, `awal
//! corpus install` on another's. Keys are made by Debian's `minisign` (what
//! a publisher would use), which also checks Awal's signatures. A flipped
//! byte, a key the kiosk does not trust, an older pack, an unsigned zip and a
//! member climbing out are each refused with nothing replaced; `rollback`
//! goes back to the content before.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use awal::corpus::Corpus;

/// A publisher's key pair made by `minisign -G`, without a password (`-W`)
/// or sealed by one (given on standard input, twice, as minisign asks).
struct Publisher {
    dir: tempfile::TempDir,
    public: String,
    password: Option<&'static str>,
}

impl Publisher {
    fn new(password: Option<&'static str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new("minisign");
        command.args(["-G", "-f", "-p"]).arg(dir.path().join("key.pub")).arg("-s").arg(dir.path().join("key.sec"));
        if password.is_none() {
            command.arg("-W");
        }
        let made = run_with_input(&mut command, &password.map(|p| format!("{p}\n{p}\n")).unwrap_or_default())
            .unwrap_or_else(|e| panic!("minisign is needed ({e}): apt-get install minisign (scripts/test does)"));
        assert!(made.status.success(), "minisign -G: {}", String::from_utf8_lossy(&made.stderr));
        let public = std::fs::read_to_string(dir.path().join("key.pub")).unwrap().lines().nth(1).unwrap().to_string();
        Publisher { dir, public, password }
    }

    fn secret(&self) -> PathBuf {
        self.dir.path().join("key.sec")
    }
}

/// A kiosk: its corpus (a copy of the committed one) and an awal.toml
/// trusting `trusted`.
struct Kiosk {
    dir: tempfile::TempDir,
}

impl Kiosk {
    fn new(trusted: &[&Publisher]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        common::copy_dir(&common::corpus(), &dir.path().join("corpora"));
        let keys: Vec<String> = trusted.iter().map(|p| format!("{:?}", p.public)).collect();
        std::fs::write(dir.path().join("awal.toml"), format!("[packs]\ntrusted_keys = [{}]\n", keys.join(", ")))
            .unwrap();
        Kiosk { dir }
    }

    fn corpus(&self) -> PathBuf {
        self.dir.path().join("corpora")
    }

    /// Runs `awal` on this kiosk under [`common::TEXT_MEMORY`] (what reads a
    /// pack must stay small whatever the pack holds).
    fn awal(&self, args: &[&str]) -> (Output, String) {
        let mut command = self.command(args);
        common::limit_memory(&mut command, common::TEXT_MEMORY);
        Self::output(&mut command, "")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = common::awal();
        command.arg("--config").arg(self.dir.path().join("awal.toml")).arg("--corpus-dir").arg(self.corpus());
        command.args(args);
        command
    }

    fn output(command: &mut Command, input: &str) -> (Output, String) {
        let output = run_with_input(command, input).unwrap();
        let printed = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
        (output, printed)
    }

    fn install(&self, pack: &Path) -> (Output, String) {
        self.awal(&["corpus", "install", pack.to_str().unwrap(), "--replace"])
    }
}

/// Runs `command` with `input` on its standard input.
fn run_with_input(command: &mut Command, input: &str) -> std::io::Result<Output> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    child.stdin.take().unwrap().write_all(input.as_bytes())?;
    child.wait_with_output()
}

/// The reviewer on the publishing kiosk changes the minimum-wage entry's
/// French title; returns the new title.
fn edit_entry(corpus: &Path, title: &str) {
    let path = corpus.join("ma/rights/ma-rights-minimum-wage.toml");
    let mut entry: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    entry["text"]["fr"].as_table_mut().unwrap().insert("title".into(), title.into());
    std::fs::write(&path, toml::to_string(&entry).unwrap()).unwrap();
}

fn title(corpus: &Path) -> String {
    let (loaded, _) = Corpus::load(corpus).unwrap();
    loaded.entries["ma-rights-minimum-wage"].item.text["fr"].title.clone()
}

/// Makes a pack of `publishing`'s corpus signed by `publisher` (its
/// password, if any, on standard input). Not under the memory limit: opening
/// a sealed minisign key takes 1 GiB by design (scrypt), on the publisher's
/// machine.
fn pack(publishing: &Kiosk, publisher: &Publisher, sequence: u64, out: &Path) {
    let password = publisher.password.map(|p| format!("{p}\n")).unwrap_or_default();
    let mut command = publishing.command(&[
        "corpus",
        "pack",
        out.to_str().unwrap(),
        "--key",
        publisher.secret().to_str().unwrap(),
        "--sequence",
        &sequence.to_string(),
    ]);
    let (output, printed) = Kiosk::output(&mut command, &password);
    assert!(output.status.success(), "{printed}");
}

#[test]
fn a_signed_pack_installs_on_another_kiosk_and_rolls_back() {
    // An NGO's key, sealed by a password.
    let publisher = Publisher::new(Some("cooperative olive 2026"));
    let publishing = Kiosk::new(&[]);
    let receiving = Kiosk::new(&[&publisher]);
    let stick = tempfile::tempdir().unwrap();
    let first = stick.path().join("pack-5.zip");
    edit_entry(&publishing.corpus(), "Salaire minimum (version 5)");
    pack(&publishing, &publisher, 5, &first);

    // minisign itself accepts the signature, and reads the sequence in it.
    let checked =
        Command::new("minisign").args(["-V", "-m"]).arg(&first).arg("-P").arg(&publisher.public).output().unwrap();
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "minisign -V: {said}{}", String::from_utf8_lossy(&checked.stderr));
    assert!(said.contains("awal-pack sequence:5"), "{said}");

    let before = title(&receiving.corpus());
    let (output, printed) = receiving.install(&first);
    assert!(output.status.success(), "{printed}");
    assert!(printed.contains("pack 5 signed by key"), "{printed}");
    assert_eq!(title(&receiving.corpus()), "Salaire minimum (version 5)");
    let mut installed = common::snapshot(&receiving.corpus());
    installed.retain(|(path, _)| path != Path::new(".awal-pack.json"));
    assert!(installed == common::snapshot(&publishing.corpus()), "the receiving kiosk holds the publisher's corpus");

    // A newer pack, then back to the one before, then forward again.
    let second = stick.path().join("pack-6.zip");
    edit_entry(&publishing.corpus(), "Salaire minimum (version 6)");
    pack(&publishing, &publisher, 6, &second);
    let (output, printed) = receiving.install(&second);
    assert!(output.status.success(), "{printed}");
    assert_eq!(title(&receiving.corpus()), "Salaire minimum (version 6)");
    let (output, printed) = receiving.awal(&["corpus", "rollback"]);
    assert!(output.status.success(), "{printed}");
    assert_eq!(title(&receiving.corpus()), "Salaire minimum (version 5)");
    let (output, printed) = receiving.awal(&["corpus", "rollback"]);
    assert!(output.status.success(), "{printed}");
    assert_eq!(title(&receiving.corpus()), "Salaire minimum (version 6)");
    assert_ne!(before, "Salaire minimum (version 6)");
}

#[test]
fn tampered_untrusted_older_and_unsigned_packs_are_refused_and_nothing_changes() {
    let publisher = Publisher::new(None);
    let stranger = Publisher::new(None);
    let publishing = Kiosk::new(&[]);
    let receiving = Kiosk::new(&[&publisher]);
    let stick = tempfile::tempdir().unwrap();
    let current = stick.path().join("pack-7.zip");
    pack(&publishing, &publisher, 7, &current);
    let (output, printed) = receiving.install(&current);
    assert!(output.status.success(), "{printed}");
    let before = common::snapshot(&receiving.corpus());

    // One byte flipped in the middle of the zip, the signature kept.
    let tampered = stick.path().join("tampered.zip");
    let mut bytes = std::fs::read(&current).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&tampered, bytes).unwrap();
    std::fs::copy(stick.path().join("pack-7.zip.minisig"), stick.path().join("tampered.zip.minisig")).unwrap();

    let untrusted = stick.path().join("stranger.zip");
    pack(&publishing, &stranger, 8, &untrusted);
    let older = stick.path().join("pack-6.zip");
    pack(&publishing, &publisher, 6, &older);
    let unsigned = stick.path().join("unsigned.zip");
    std::fs::copy(&current, &unsigned).unwrap();

    for (pack, says) in [
        (&tampered, "changed or damaged after it was signed"),
        (&untrusted, "which this kiosk does not trust"),
        (&older, "pack 6 is older than the installed pack 7"),
        (&current, "pack 7 is already installed"),
        (&unsigned, "unsigned: there is no"),
    ] {
        let (output, printed) = receiving.install(pack);
        assert!(!output.status.success(), "{printed}");
        assert!(printed.contains(says), "{says}\n{printed}");
        assert!(common::snapshot(&receiving.corpus()) == before, "a refused pack changed the corpus: {printed}");
    }

    // A kiosk that trusts nobody yet says how to trust a publisher.
    let trusting_nobody = Kiosk::new(&[]);
    let (output, printed) = trusting_nobody.install(&current);
    assert!(!output.status.success());
    assert!(printed.contains("trusts no publisher") && printed.contains("trusted_keys"), "{printed}");
}

/// A signed zip whose member climbs out (`../`) is refused before anything
/// is written, signature or not: the signature says who made it, not that it
/// is well made.
#[test]
fn a_signed_pack_with_a_member_climbing_out_is_refused() {
    let publisher = Publisher::new(None);
    let receiving = Kiosk::new(&[&publisher]);
    let stick = tempfile::tempdir().unwrap();
    let hostile = stick.path().join("hostile.zip");
    {
        let file = std::fs::File::create(&hostile).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("../escaped.toml", options).unwrap();
        std::io::Write::write_all(&mut zip, b"id = \"escaped\"\n").unwrap();
        zip.finish().unwrap();
    }
    let signed = Command::new("minisign")
        .args(["-S", "-m"])
        .arg(&hostile)
        .arg("-s")
        .arg(publisher.secret())
        .args(["-t", "awal-pack sequence:9"])
        .output()
        .unwrap();
    assert!(signed.status.success(), "minisign -S: {}", String::from_utf8_lossy(&signed.stderr));
    let before = common::snapshot(&receiving.corpus());
    let (output, printed) = receiving.install(&hostile);
    assert!(!output.status.success(), "{printed}");
    assert!(printed.contains("a path leading out of the pack"), "{printed}");
    assert!(common::snapshot(&receiving.corpus()) == before);
    assert!(!receiving.dir.path().join("escaped.toml").exists());
}
