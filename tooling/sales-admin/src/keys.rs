//! `genkey`: a new RSA signing key in the keys folder, named by its kid.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::fail::{HintExt, fail};
use crate::ui::Ui;

/// Writes `<dir>/<kid>.pem` (PKCS#8, mode 0600) and prints the kid on stdout.
/// An existing file is never overwritten.
pub fn genkey(dir: &Path, bits: usize, kid: Option<String>, ui: &Ui) -> anyhow::Result<()> {
    let kid = kid.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if !keystore::is_valid_kid(&kid) {
        return Err(fail(
            format!("invalid kid {kid:?}"),
            "a kid is 1-128 characters of letters, digits, '-', '_' or '.'; or omit --kid for a random one",
        ));
    }
    let path = dir.join(format!("{kid}.pem"));
    if path.exists() {
        return Err(fail(
            format!("{} already exists", path.display()),
            "refusing to overwrite a key; choose another --kid or remove the file yourself",
        ));
    }

    ui.note(format_args!("generating a {bits}-bit RSA key..."));
    let pem = keystore::generate_private_key_pem(bits).context("cannot generate the key")?;
    // Prove the key is one the service will load before anyone relies on it.
    keystore::KeyStore::from_pem(&kid, &pem).context("the generated key does not load")?;

    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the key folder {}", dir.display()))
        .hint("check --dir and the folder's permissions")?;
    write_new_private(&path, pem.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
        .hint("check --dir and the folder's permissions; an existing key is never overwritten")?;

    println!("{kid}");
    ui.note(format_args!(
        "wrote {} ({bits}-bit RSA, PKCS#8, mode 0600)",
        path.display()
    ));
    ui.note(format_args!(
        "to sign tokens with it: SALES_AUTH_KEYS_FOLDER={} SALES_AUTH_ACTIVE_KID={kid}",
        dir.display()
    ));
    ui.note("keep private keys out of version control unless they are development keys");
    Ok(())
}

/// Creates `path` (failing if it exists, so a race cannot overwrite a key either)
/// readable by the owner only.
fn write_new_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(path)?;
    file.write_all(data)?;
    file.sync_all()
}
