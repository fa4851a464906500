//! Builds the web client (web/, `npm ci` when its lockfile changed, then `vite build`) into
//! OUT_DIR/dist and generates OUT_DIR/assets.rs: every file's bytes, a gzip copy of the text
//! ones and an ETag, so the binary serves the client with nothing on disk.
//!
//! `GUILDHALL_WEB_PREBUILT=DIR` embeds an already built dist instead (no npm at all).

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

type Result<T> = std::result::Result<T, String>;

fn main() -> Result<()> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let web = manifest.join("../../web");
    println!("cargo:rerun-if-env-changed=GUILDHALL_WEB_PREBUILT");
    let dist = match env::var_os("GUILDHALL_WEB_PREBUILT") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            println!("cargo:rerun-if-changed={}", dir.display());
            dir
        }
        None => {
            // Only paths that exist: cargo reruns the script every build for a missing one.
            for input in ["src", "public", "index.html", "package.json", "package-lock.json", "vite.config.ts"] {
                let path = web.join(input);
                if path.exists() {
                    println!("cargo:rerun-if-changed={}", path.display());
                }
            }
            let dist = out.join("dist");
            build(&web, &dist)?;
            dist
        }
    };
    generate(&dist, &out)
}

fn run(command: &mut Command, what: &str) -> Result<()> {
    let output = command.output().map_err(|e| {
        format!(
            "{what}: {e} (the web client needs Node.js and npm; or set GUILDHALL_WEB_PREBUILT=DIR to a built web/dist)"
        )
    })?;
    if !output.status.success() {
        return Err(format!(
            "{what} failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

fn build(web: &Path, dist: &Path) -> Result<()> {
    // Same stamp as scripts/ensure-node-modules.sh: reinstall only when the lockfile changed.
    let lock = fs::read(web.join("package-lock.json")).map_err(|e| format!("web/package-lock.json: {e}"))?;
    let lock_sum = hex(&Sha256::digest(&lock));
    let stamp = web.join("node_modules/.guildhall-lock");
    if fs::read_to_string(&stamp).ok().as_deref().map(str::trim) != Some(lock_sum.as_str()) {
        run(
            Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(web),
            "npm ci (web/)",
        )?;
        fs::write(&stamp, &lock_sum).map_err(|e| e.to_string())?;
    }
    let dist_arg = dist.to_str().ok_or("OUT_DIR is not UTF-8")?;
    run(
        Command::new("npm")
            .args(["run", "build", "--", "--outDir", dist_arg, "--emptyOutDir", "--logLevel", "warn"])
            .current_dir(web),
        "vite build (web/)",
    )
}

fn generate(dist: &Path, out: &Path) -> Result<()> {
    let mut files = Vec::new();
    collect(dist, dist, &mut files)?;
    files.sort();
    if !files.iter().any(|f| f == "index.html") {
        return Err(format!("{} has no index.html", dist.display()));
    }
    let gz_dir = out.join("gz");
    fs::create_dir_all(&gz_dir).map_err(|e| e.to_string())?;
    let mut code = String::from("pub(crate) static ASSETS: &[Asset] = &[\n");
    for (i, name) in files.iter().enumerate() {
        let path = dist.join(name);
        let body = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let etag = format!("\"{}\"", &hex(&Sha256::digest(&body))[..20]);
        let gzip = match compressible(name) {
            true => {
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                encoder.write_all(&body).map_err(|e| e.to_string())?;
                let gz = encoder.finish().map_err(|e| e.to_string())?;
                // Worth a header only when it saves a tenth.
                if gz.len() * 10 < body.len() * 9 {
                    let gz_path = gz_dir.join(format!("{i}.gz"));
                    fs::write(&gz_path, gz).map_err(|e| e.to_string())?;
                    format!("Some(include_bytes!({:?}))", gz_path.display().to_string())
                } else {
                    "None".to_owned()
                }
            }
            false => "None".to_owned(),
        };
        let _ = writeln!(
            code,
            "    Asset {{ path: {name:?}, body: include_bytes!({:?}), gzip: {gzip}, etag: {etag:?} }},",
            path.display().to_string()
        );
    }
    code.push_str("];\n");
    fs::write(out.join("assets.rs"), code).map_err(|e| e.to_string())
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(root, &path, files)?;
        } else {
            let relative = path.strip_prefix(root).map_err(|e| e.to_string())?;
            let name = relative.to_str().ok_or("non-UTF-8 file name in dist")?.replace('\\', "/");
            files.push(name);
        }
    }
    Ok(())
}

fn compressible(name: &str) -> bool {
    [".html", ".js", ".css", ".svg", ".json", ".txt", ".map"].iter().any(|ext| name.ends_with(ext))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
