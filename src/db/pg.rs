//! The embedded PostgreSQL cluster: `initdb` once, start on a private Unix socket (no TCP), stop
//! cleanly. Used by `chorus serve` when no database URL is configured, and by the test suite.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes; leave room for `/.s.PGSQL.5432.lock`.
const MAX_SOCKET_DIR: usize = 80;
pub const SUPERUSER: &str = "chorus";

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("PostgreSQL server binaries (initdb, pg_ctl) not found in PATH or /usr/lib/postgresql/*/bin; install the `postgresql` package")]
    NoBinaries,
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

pub struct Cluster {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    bin_dir: PathBuf,
    /// PostgreSQL refuses to run as root; then every server command runs as this system user.
    run_as: Option<String>,
}

impl Cluster {
    /// Locates the binaries and works out paths; touches nothing yet.
    pub fn new(data_dir: &Path) -> Result<Self, PgError> {
        let abs = absolute(data_dir)?;
        let socket_dir = if abs.as_os_str().len() <= MAX_SOCKET_DIR {
            abs.clone()
        } else {
            // A deep checkout would overflow sun_path; use a short, stable path instead.
            use sha2::Digest;
            let digest = sha2::Sha256::digest(abs.as_os_str().as_encoded_bytes());
            std::env::temp_dir().join(format!("chorus-pg-{}", &hex::encode(digest)[..16]))
        };
        let run_as = is_root().then(|| "postgres".to_string());
        Ok(Cluster {
            data_dir: abs,
            socket_dir,
            bin_dir: find_bin_dir()?,
            run_as,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// libpq-style connection string for a database in this cluster.
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "host={} port={PORT} user={SUPERUSER} dbname={dbname}",
            self.socket_dir.display()
        )
    }

    pub fn is_initialised(&self) -> bool {
        self.data_dir.join("PG_VERSION").exists()
    }

    /// Creates the cluster if the folder holds none yet.
    pub fn init_if_needed(&self) -> Result<(), PgError> {
        if self.is_initialised() {
            return Ok(());
        }
        self.prepare_data_dir()?;
        let data = self.data_dir.as_os_str();
        self.run(
            "initdb",
            &[
                OsStr::new("-D"),
                data,
                OsStr::new("-U"),
                OsStr::new(SUPERUSER),
                OsStr::new("--auth=trust"),
                OsStr::new("-E"),
                OsStr::new("UTF8"),
                OsStr::new("--locale=C"),
                OsStr::new("--no-instructions"),
            ],
        )?;
        // Settings that depend on where the cluster lives are rewritten at every start.
        let conf = self.data_dir.join("postgresql.conf");
        let mut text =
            fs::read_to_string(&conf).map_err(|e| PgError::Io(conf.display().to_string(), e))?;
        text.push_str("\ninclude_if_exists = 'chorus.conf'\n");
        fs::write(&conf, text).map_err(|e| PgError::Io(conf.display().to_string(), e))?;
        Ok(())
    }

    /// An empty folder the server's user owns, private to it (PostgreSQL insists on 0700).
    fn prepare_data_dir(&self) -> Result<(), PgError> {
        mkdir(&self.data_dir)?;
        self.hand_over(&self.data_dir)?;
        fs::set_permissions(&self.data_dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| PgError::Io(self.data_dir.display().to_string(), e))
    }

    /// Makes this (empty) folder a streaming replica of `primary` (`pg_basebackup -R`): started,
    /// it follows the primary and answers read-only queries. For read scaling and its tests.
    pub fn init_replica_of(&self, primary: &Cluster) -> Result<(), PgError> {
        self.prepare_data_dir()?;
        let port = PORT.to_string();
        self.run(
            "pg_basebackup",
            &[
                OsStr::new("-D"),
                self.data_dir.as_os_str(),
                OsStr::new("-h"),
                primary.socket_dir.as_os_str(),
                OsStr::new("-p"),
                OsStr::new(&port),
                OsStr::new("-U"),
                OsStr::new(SUPERUSER),
                OsStr::new("-X"),
                OsStr::new("stream"),
                // An immediate checkpoint: the default spreads it over minutes.
                OsStr::new("-c"),
                OsStr::new("fast"),
                OsStr::new("-R"),
            ],
        )?;
        // The primary keeps its socket in its data folder: its lock file came along, and would
        // make this server think the primary's postmaster owns the replica's socket.
        let _ = fs::remove_file(self.data_dir.join(format!(".s.PGSQL.{PORT}.lock")));
        Ok(())
    }

    /// Starts the server (reusing one already running on this folder) and waits until it accepts
    /// connections. A `postmaster.pid` left by a killed server is removed first.
    pub fn start(&self) -> Result<(), PgError> {
        if self.is_running() {
            return Ok(());
        }
        self.remove_stale_pid_file();
        mkdir(&self.socket_dir)?;
        if self.socket_dir != self.data_dir {
            self.hand_over(&self.socket_dir)?;
        }
        let local = format!(
            "# written by chorus at every start\nlisten_addresses = ''\nport = {PORT}\nunix_socket_directories = '{}'\nunix_socket_permissions = 0700\nmax_connections = 200\nshared_buffers = 128MB\n",
            self.socket_dir.display().to_string().replace('\'', "''")
        );
        let local_path = self.data_dir.join("chorus.conf");
        fs::write(&local_path, local)
            .map_err(|e| PgError::Io(local_path.display().to_string(), e))?;
        self.hand_over(&local_path)?;
        let log = self.data_dir.join("server.log");
        self.run(
            "pg_ctl",
            &[
                OsStr::new("start"),
                OsStr::new("-w"),
                OsStr::new("-t"),
                OsStr::new("60"),
                OsStr::new("-D"),
                self.data_dir.as_os_str(),
                OsStr::new("-l"),
                log.as_os_str(),
            ],
        )
        .map_err(|e| match fs::read_to_string(&log) {
            Ok(text) => PgError::Command {
                what: "pg_ctl start".into(),
                detail: format!("{e}; last server log lines:\n{}", tail(&text, 8)),
            },
            Err(_) => e,
        })?;
        Ok(())
    }

    pub fn is_running(&self) -> bool {
        self.is_initialised()
            && self
                .output(
                    "pg_ctl",
                    &[
                        OsStr::new("status"),
                        OsStr::new("-D"),
                        self.data_dir.as_os_str(),
                    ],
                )
                .map(|o| o.status.success())
                .unwrap_or(false)
    }

    /// Fast shutdown: ends sessions, checkpoints, exits.
    pub fn stop(&self) -> Result<(), PgError> {
        if !self.is_running() {
            return Ok(());
        }
        self.run(
            "pg_ctl",
            &[
                OsStr::new("stop"),
                OsStr::new("-m"),
                OsStr::new("fast"),
                OsStr::new("-w"),
                OsStr::new("-D"),
                self.data_dir.as_os_str(),
            ],
        )
    }

    /// A server killed with SIGKILL leaves `postmaster.pid`. PostgreSQL itself refuses to start when
    /// the PID written there now belongs to another live process (common in containers), so the
    /// file goes when that PID is not a running postgres.
    fn remove_stale_pid_file(&self) {
        let pid_file = self.data_dir.join("postmaster.pid");
        let Ok(text) = fs::read_to_string(&pid_file) else {
            return;
        };
        let pid: i32 = text
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0);
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if pid <= 0 || comm.trim() != "postgres" {
            tracing::warn!(
                pid,
                "removing stale postmaster.pid left by a server that is gone"
            );
            let _ = fs::remove_file(&pid_file);
        }
    }

    fn hand_over(&self, path: &Path) -> Result<(), PgError> {
        if let Some(user) = &self.run_as {
            let out = Command::new("chown")
                .arg("-R")
                .arg(format!("{user}:"))
                .arg(path)
                .output()
                .map_err(|e| PgError::Io("chown".into(), e))?;
            if !out.status.success() {
                return Err(PgError::Command {
                    what: format!("chown {}", path.display()),
                    detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
                });
            }
        }
        Ok(())
    }

    fn output(&self, tool: &str, args: &[&OsStr]) -> Result<Output, PgError> {
        let exe = self.bin_dir.join(tool);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        // The server must not inherit our stdout/stderr: a test runner waits on those pipes.
        cmd.args(args).stdin(std::process::Stdio::null());
        cmd.current_dir(std::env::temp_dir());
        cmd.output()
            .map_err(|e| PgError::Io(exe.display().to_string(), e))
    }

    fn run(&self, tool: &str, args: &[&OsStr]) -> Result<(), PgError> {
        let out = self.output(tool, args)?;
        if out.status.success() {
            Ok(())
        } else {
            Err(PgError::Command {
                what: tool.into(),
                detail: format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stderr).trim(),
                    String::from_utf8_lossy(&out.stdout).trim()
                ),
            })
        }
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn absolute(p: &Path) -> Result<PathBuf, PgError> {
    std::path::absolute(p).map_err(|e| PgError::Io(p.display().to_string(), e))
}

fn mkdir(p: &Path) -> Result<(), PgError> {
    fs::create_dir_all(p).map_err(|e| PgError::Io(p.display().to_string(), e))
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A PostgreSQL client program (`pg_dump`, `pg_restore`): beside the server binaries when they
/// are installed (same version), else wherever PATH has it (a client-only image).
pub fn tool(name: &str) -> Result<PathBuf, PgError> {
    let beside_server = find_bin_dir().ok().map(|d| d.join(name));
    let in_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    beside_server
        .filter(|p| p.is_file())
        .or(in_path)
        .ok_or(PgError::NoBinaries)
}

fn find_bin_dir() -> Result<PathBuf, PgError> {
    let has_tools = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_tools(&dir) {
                // Follow symlinks so pg_ctl finds its own `postgres` beside it.
                let real = fs::canonicalize(dir.join("pg_ctl")).ok();
                return Ok(real
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .unwrap_or(dir));
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_tools(&bin).then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b).ok_or(PgError::NoBinaries)
}
