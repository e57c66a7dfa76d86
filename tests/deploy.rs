//! The deployment files (`Dockerfile`, `deploy/**`) agree with kindling and
//! with the deployment contract: one image, the API on port 3100, probes on
//! `/ready`, a 512Mi memory limit, a non-root user, the data volume mounted
//! at the data path, and no option kindling does not accept (every option is
//! checked against `kindling --help` and loaded through kindling's own
//! configuration loader).
//!
//! External tools make some checks real when they are installed and are
//! skipped with a printed reason otherwise: `kubectl kustomize` or
//! `kustomize` (builds the base and the Flux overlay), `helm` (renders the
//! chart; without it a small renderer in this file renders the chart's
//! templates), `systemd-analyze` (verifies the unit and rates its sandbox),
//! podman's `quadlet` generator. `KINDLING_DEPLOY_BUILD=1` runs the
//! Dockerfile's cargo build natively.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use kindling::config::{parse_duration, Config, Flags, CONFIG_KEYS};
use serde_json::{json, Value as Json};

/// Image repository every deploy file uses; the tag is the crate version.
const IMAGE_REPOSITORY: &str = "ghcr.io/kindling/kindling";
/// Port of the Loki HTTP API.
const PORT: u16 = 3100;
/// Memory limit of the Pi profile as a Kubernetes quantity.
const MEMORY_LIMIT_K8S: &str = "512Mi";
/// Shortest acceptable shutdown grace: kindling needs ~30s to cut heads and sync.
const MIN_STOP_GRACE: Duration = Duration::from_secs(45);
/// Shortest WAL replay a startup probe must tolerate.
const MIN_STARTUP_WINDOW: Duration = Duration::from_secs(300);

fn image() -> String {
    format!("{IMAGE_REPOSITORY}:{}", env!("CARGO_PKG_VERSION"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every YAML document of `text` as JSON (empty documents skipped).
fn yaml_docs(text: &str, origin: &str) -> Vec<Json> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| {
            let v = serde_yaml::Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("{origin}: invalid YAML: {e}"));
            serde_json::to_value(v).unwrap_or_else(|e| panic!("{origin}: {e}"))
        })
        .filter(|v| !v.is_null())
        .collect()
}

fn yaml_file(rel: &str) -> Json {
    let mut docs = yaml_docs(&read(rel), rel);
    assert_eq!(docs.len(), 1, "{rel}: expected one YAML document");
    docs.remove(0)
}

/// `v` at a `/`-separated path, or null.
fn at<'a>(v: &'a Json, path: &str) -> &'a Json {
    static NULL: Json = Json::Null;
    v.pointer(path).unwrap_or(&NULL)
}

fn text_at<'a>(v: &'a Json, path: &str, origin: &str) -> &'a str {
    at(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("{origin}: {path} is not a string: {}", at(v, path)))
}

/// Runs a program, or None when it is not installed.
fn run(program: &str, args: &[&str]) -> Option<std::process::Output> {
    match Command::new(program).args(args).output() {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("{program}: {e}"),
    }
}

fn skip(check: &str, reason: &str) {
    println!("SKIPPED {check}: {reason}");
}

// ---------------------------------------------------------------------------
// Options: every option a deploy file sets exists and has a valid value.

/// Flags and environment variables that `kindling --help` lists.
struct Help {
    flags: BTreeSet<String>,
    envs: BTreeSet<String>,
}

fn help() -> &'static Help {
    static HELP: OnceLock<Help> = OnceLock::new();
    HELP.get_or_init(|| {
        let out = Command::new(env!("CARGO_BIN_EXE_kindling"))
            .arg("--help")
            .env_clear()
            .output()
            .expect("run kindling --help");
        assert!(out.status.success(), "kindling --help failed");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let words = |prefix: &str, ok: fn(char) -> bool| -> BTreeSet<String> {
            text.split(|c: char| !(ok(c) || prefix.contains(c)))
                .filter(|w| w.starts_with(prefix) && w.len() > prefix.len())
                .map(str::to_string)
                .collect()
        };
        Help {
            flags: words("--", |c| c.is_ascii_lowercase() || c == '-' || c == '.'),
            envs: words("KINDLING_", |c| c.is_ascii_uppercase() || c == '_'),
        }
    })
}

/// An option set by a deploy file: its YAML key and value.
type Setting = (String, String);

/// Where a deployment sets options, by kindling's precedence (flag >
/// environment > file).
#[derive(Default)]
struct Options {
    flags: Vec<Setting>,
    env: Vec<Setting>,
    /// The text of the config file (`--config.file`), if one is given.
    file: Option<String>,
}

/// `--name=value` as a setting (`--config.file` keeps its dotted name).
fn flag_setting(arg: &str, origin: &str) -> Setting {
    let (name, value) = arg
        .strip_prefix("--")
        .and_then(|a| a.split_once('='))
        .unwrap_or_else(|| panic!("{origin}: argument {arg:?} is not --name=value"));
    assert!(
        help().flags.contains(&format!("--{name}")),
        "{origin}: kindling --help has no flag --{name}"
    );
    (name.replace('-', "_"), value.to_string())
}

/// `KINDLING_NAME=value` as a setting, or None for other variables.
fn env_setting(name: &str, value: &str, origin: &str) -> Option<Setting> {
    let key = name.strip_prefix("KINDLING_")?;
    assert!(
        help().envs.contains(name),
        "{origin}: kindling --help has no environment variable {name}"
    );
    let key = if key == "CONFIG_FILE" {
        "config.file".to_string()
    } else {
        key.to_ascii_lowercase()
    };
    Some((key, value.to_string()))
}

/// Loads a kindling config file's text through `Config::resolve`.
fn load_config(text: &str, origin: &str) -> Config {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("kindling.yaml");
    std::fs::write(&file, text).expect("write config");
    let flags = Flags {
        config_file: Some(file),
        ..Flags::default()
    };
    Config::resolve(&flags).unwrap_or_else(|e| panic!("{origin}: kindling rejects it: {e}"))
}

impl Options {
    /// The `--config.file` path, from a flag or the environment.
    fn config_file(&self) -> Option<&str> {
        self.flags
            .iter()
            .chain(&self.env)
            .find(|(k, _)| k == "config.file")
            .map(|(_, v)| v.as_str())
    }

    /// The configuration kindling resolves from these options: the file is
    /// loaded on its own, then flags and environment are laid over it in
    /// kindling's precedence and everything goes through its loader again.
    fn resolve(&self, origin: &str) -> Config {
        let mut merged = BTreeMap::new();
        if let Some(text) = &self.file {
            load_config(text, &format!("{origin} (config file)"));
            let map: BTreeMap<String, serde_yaml::Value> =
                serde_yaml::from_str(text).unwrap_or_default();
            for (k, v) in map {
                let v = match v {
                    serde_yaml::Value::String(s) => s,
                    other => serde_yaml::to_string(&other)
                        .expect("scalar")
                        .trim()
                        .to_string(),
                };
                merged.insert(k.replace('-', "_"), v);
            }
        }
        for (key, value) in self.env.iter().chain(&self.flags) {
            if key == "config.file" {
                continue;
            }
            assert!(
                CONFIG_KEYS.contains(&key.as_str()),
                "{origin}: kindling has no option {key:?}"
            );
            merged.insert(key.clone(), value.clone());
        }
        load_config(&serde_yaml::to_string(&merged).expect("serialise"), origin)
    }
}

// ---------------------------------------------------------------------------
// Dockerfile

/// The Dockerfile's instructions (continuation lines joined), by stage.
struct Dockerfile {
    stages: Vec<Vec<(String, String)>>,
}

impl Dockerfile {
    fn load() -> Dockerfile {
        let text = read("Dockerfile");
        let mut stages: Vec<Vec<(String, String)>> = Vec::new();
        let mut globals = Vec::new();
        let mut pending = String::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || (line.starts_with('#') && pending.is_empty()) {
                continue;
            }
            if let Some(head) = line.strip_suffix('\\') {
                pending.push_str(head);
                pending.push(' ');
                continue;
            }
            pending.push_str(line);
            let full = std::mem::take(&mut pending);
            let (op, rest) = full.split_once(' ').unwrap_or((&full, ""));
            let instr = (op.to_ascii_uppercase(), rest.trim().to_string());
            if instr.0 == "FROM" {
                stages.push(vec![instr]);
            } else if let Some(stage) = stages.last_mut() {
                stage.push(instr);
            } else {
                globals.push(instr);
            }
        }
        assert!(
            globals.iter().all(|(op, _)| op == "ARG"),
            "Dockerfile: only ARG may precede FROM"
        );
        if let Some(first) = stages.first_mut() {
            first.splice(0..0, globals);
        }
        Dockerfile { stages }
    }

    fn final_stage(&self) -> &[(String, String)] {
        self.stages.last().expect("Dockerfile has no stage")
    }

    fn stage(&self, name: &str) -> &[(String, String)] {
        self.stages
            .iter()
            .find(|s| {
                s.iter().any(|(op, rest)| {
                    op == "FROM" && rest.to_ascii_lowercase().ends_with(&format!(" as {name}"))
                })
            })
            .unwrap_or_else(|| panic!("Dockerfile: no stage {name}"))
    }

    fn one<'a>(stage: &'a [(String, String)], op: &str) -> &'a str {
        let found: Vec<_> = stage.iter().filter(|(o, _)| o == op).collect();
        assert_eq!(found.len(), 1, "Dockerfile: expected one {op} in the stage");
        &found[0].1
    }

    /// Arguments of the final stage's exec-form instruction `op`.
    fn exec_form(&self, op: &str) -> Vec<String> {
        let raw = Self::one(self.final_stage(), op);
        serde_json::from_str(raw)
            .unwrap_or_else(|e| panic!("Dockerfile: {op} is not exec form: {e}"))
    }

    fn arg_default(&self, name: &str) -> String {
        self.stages
            .iter()
            .flatten()
            .filter(|(op, _)| op == "ARG")
            .find_map(|(_, rest)| rest.strip_prefix(&format!("{name}=")).map(str::to_string))
            .unwrap_or_else(|| panic!("Dockerfile: no ARG {name}=default"))
    }
}

/// The options of the image's default command (replaced by a container's
/// own arguments).
fn image_cmd_flags() -> Vec<Setting> {
    let cmd = Dockerfile::load().exec_form("CMD");
    cmd.iter()
        .map(|a| flag_setting(a, "Dockerfile CMD"))
        .collect()
}

#[test]
fn dockerfile_makes_a_small_non_root_image_serving_3100_with_data_in_a_volume() {
    let df = Dockerfile::load();
    assert!(
        df.stages.len() >= 2,
        "Dockerfile: multi-stage build expected"
    );
    let last = df.final_stage();
    let base = Dockerfile::one(last, "FROM");
    assert!(
        base == "scratch" || base.starts_with("gcr.io/distroless/"),
        "Dockerfile: final stage should be scratch or distroless, is {base}"
    );
    let user = Dockerfile::one(last, "USER");
    let uid = user.split(':').next().unwrap_or_default();
    assert!(
        uid.parse::<u32>().is_ok_and(|u| u != 0),
        "Dockerfile: USER must be a numeric non-root uid (Kubernetes runAsNonRoot checks it), is {user}"
    );
    assert_eq!(Dockerfile::one(last, "EXPOSE"), PORT.to_string());
    assert_eq!(df.exec_form("ENTRYPOINT"), vec!["/kindling".to_string()]);
    let options = Options {
        flags: image_cmd_flags(),
        ..Options::default()
    };
    let data = options
        .resolve("Dockerfile CMD")
        .data
        .to_string_lossy()
        .into_owned();
    assert_eq!(data, "/data");
    let volume: Vec<String> =
        serde_json::from_str(Dockerfile::one(last, "VOLUME")).expect("VOLUME in exec form");
    assert_eq!(
        volume,
        vec![data.clone()],
        "Dockerfile: the data directory is the volume"
    );
    assert!(
        last.iter().any(|(op, rest)| op == "COPY" && rest.contains("--chown=") && rest.ends_with(&format!(" {data}"))),
        "Dockerfile: the data directory must belong to the runtime user so that new volumes are writable"
    );
}

#[test]
fn dockerfile_caches_dependencies_and_builds_both_architectures() {
    let df = Dockerfile::load();
    let build = df.stage("build");
    let position = |needle: &str| {
        build
            .iter()
            .position(|(op, rest)| op == "RUN" && rest.contains(needle))
            .unwrap_or_else(|| panic!("Dockerfile build stage: no RUN with {needle:?}"))
    };
    let cook = position("chef cook");
    let compile = position("cargo build");
    let copy_all = build
        .iter()
        .position(|(op, rest)| op == "COPY" && rest == ". .")
        .expect("build stage copies the sources");
    assert!(
        cook < copy_all && copy_all < compile,
        "Dockerfile: dependencies must be built in a layer before the sources are copied"
    );
    for step in [cook, compile] {
        let cmd = &build[step].1;
        for flag in ["--release", "--locked", "--bin kindling"] {
            assert!(cmd.contains(flag), "Dockerfile: {cmd:?} lacks {flag}");
        }
        assert!(
            cmd.starts_with("cargo-target cargo "),
            "Dockerfile: {cmd:?} must go through cargo-target.sh"
        );
    }
    assert!(
        build
            .iter()
            .any(|(op, rest)| op == "ARG" && rest == "TARGETARCH"),
        "Dockerfile: the build stage must know the target architecture"
    );
    let text = read("Dockerfile");
    assert!(
        text.contains("--platform linux/arm64,linux/amd64"),
        "Dockerfile: document the multi-arch buildx command"
    );
    assert!(
        text.contains("FROM --platform=$BUILDPLATFORM"),
        "Dockerfile: compile on the build host"
    );

    let rust: Vec<u32> = df
        .arg_default("RUST_VERSION")
        .split('.')
        .map(|p| p.parse().expect("RUST_VERSION"))
        .collect();
    let msrv = cargo_rust_version();
    assert!(
        rust >= msrv,
        "Dockerfile: RUST_VERSION {rust:?} is older than Cargo.toml's rust-version {msrv:?}"
    );
    let ignore = read(".dockerignore");
    assert!(
        ignore.lines().any(|l| l.trim() == "target"),
        ".dockerignore must exclude target/"
    );

    for (arch, triple) in [
        ("amd64", "x86_64-unknown-linux-gnu"),
        ("arm64", "aarch64-unknown-linux-gnu"),
    ] {
        let out = Command::new(repo().join("deploy/container/cargo-target.sh"))
            .arg("triple")
            .env("TARGETARCH", arch)
            .output()
            .expect("run cargo-target.sh");
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), triple);
    }
}

/// Cargo.toml's `rust-version`, read without a TOML dependency.
fn cargo_rust_version() -> Vec<u32> {
    let text = read("Cargo.toml");
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version"))
        .expect("Cargo.toml has rust-version");
    let value = line.trim_start_matches([' ', '=']).trim().trim_matches('"');
    value
        .split('.')
        .map(|p| p.parse().expect("rust-version"))
        .collect()
}

/// Runs the Dockerfile's own `cargo build` command natively through
/// cargo-target.sh (the image build without Docker). Slow: a release build.
#[test]
fn dockerfile_build_command_builds_kindling_here() {
    if std::env::var_os("KINDLING_DEPLOY_BUILD").is_none() {
        skip(
            "Dockerfile build command",
            "set KINDLING_DEPLOY_BUILD=1 to run it natively (a full release build)",
        );
        return;
    }
    let df = Dockerfile::load();
    let cmd = df
        .stage("build")
        .iter()
        .find(|(op, rest)| op == "RUN" && rest.contains("cargo build"))
        .map(|(_, rest)| {
            rest.split("&&")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .expect("build command");
    let args: Vec<&str> = cmd
        .strip_prefix("cargo-target ")
        .expect("via cargo-target")
        .split_whitespace()
        .collect();
    let target_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("deploy-build");
    let status = Command::new(repo().join("deploy/container/cargo-target.sh"))
        .args(&args)
        .current_dir(repo())
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("TARGETARCH")
        .status()
        .expect("run the Dockerfile's build command");
    assert!(status.success(), "{cmd} failed");
    let triple = Command::new(repo().join("deploy/container/cargo-target.sh"))
        .arg("triple")
        .env_remove("TARGETARCH")
        .output()
        .expect("triple");
    let bin = target_dir
        .join(String::from_utf8_lossy(&triple.stdout).trim())
        .join("release/kindling");
    let out = Command::new(&bin)
        .arg("--version")
        .output()
        .expect("run the release binary");
    assert!(out.status.success(), "{} --version failed", bin.display());
    println!(
        "built {} ({})",
        bin.display(),
        String::from_utf8_lossy(&out.stdout).trim()
    );
}

// ---------------------------------------------------------------------------
// Kubernetes: the kustomize base, the Flux overlay and the Helm chart.

/// What a set of manifests deploys, for tests to compare with expectations.
#[derive(Debug)]
struct Deployment {
    image: String,
    memory_request: String,
    memory_limit: String,
    storage: String,
    storage_class: Option<String>,
    config: Config,
    has_pi5_preference: bool,
}

fn kind<'a>(objects: &'a [Json], kind: &str, origin: &str) -> &'a Json {
    let found: Vec<&Json> = objects.iter().filter(|o| at(o, "/kind") == kind).collect();
    assert_eq!(
        found.len(),
        1,
        "{origin}: expected one {kind}, found {}",
        found.len()
    );
    found[0]
}

fn probe_window(probe: &Json) -> Duration {
    let n = |p: &str, default: u64| at(probe, p).as_u64().unwrap_or(default);
    Duration::from_secs(n("/periodSeconds", 10) * n("/failureThreshold", 3))
}

/// Checks the invariants every Kubernetes rendering must hold and returns
/// what it deploys.
fn check_kubernetes(objects: &[Json], origin: &str) -> Deployment {
    let sts = kind(objects, "StatefulSet", origin);
    let svc = kind(objects, "Service", origin);
    let cm = kind(objects, "ConfigMap", origin);
    assert_eq!(
        at(sts, "/spec/replicas"),
        &json!(1),
        "{origin}: one replica"
    );
    let pod = at(sts, "/spec/template/spec");
    let labels = at(sts, "/spec/template/metadata/labels")
        .as_object()
        .expect("pod labels");
    let selector = at(sts, "/spec/selector/matchLabels")
        .as_object()
        .expect("selector");
    assert!(
        selector.iter().all(|(k, v)| labels.get(k) == Some(v)),
        "{origin}: selector must match the pod"
    );

    let grace = at(pod, "/terminationGracePeriodSeconds")
        .as_u64()
        .expect("terminationGracePeriodSeconds");
    assert!(
        Duration::from_secs(grace) >= MIN_STOP_GRACE,
        "{origin}: {grace}s is too short for a clean shutdown"
    );
    assert_eq!(
        at(pod, "/securityContext/runAsNonRoot"),
        &json!(true),
        "{origin}: runAsNonRoot"
    );
    let uid = at(pod, "/securityContext/runAsUser")
        .as_u64()
        .expect("runAsUser");
    assert_ne!(uid, 0, "{origin}: runAsUser must not be root");
    assert_eq!(
        at(pod, "/securityContext/fsGroup").as_u64(),
        Some(uid),
        "{origin}: fsGroup makes the volume writable for the user"
    );
    assert_eq!(
        at(pod, "/automountServiceAccountToken"),
        &json!(false),
        "{origin}: no API token"
    );

    let containers = at(pod, "/containers").as_array().expect("containers");
    assert_eq!(containers.len(), 1, "{origin}: one container");
    let c = &containers[0];
    let image = text_at(c, "/image", origin).to_string();
    assert!(
        image.starts_with(&format!("{IMAGE_REPOSITORY}:")),
        "{origin}: image {image}"
    );

    let port = at(c, "/ports")
        .as_array()
        .and_then(|p| p.first())
        .expect("a container port");
    assert_eq!(
        at(port, "/containerPort"),
        &json!(PORT),
        "{origin}: container port"
    );
    let port_name = text_at(port, "/name", origin);
    for probe in ["readinessProbe", "startupProbe", "livenessProbe"] {
        let p = at(c, &format!("/{probe}"));
        assert_eq!(at(p, "/httpGet/path"), "/ready", "{origin}: {probe} path");
        let target = at(p, "/httpGet/port");
        assert!(
            target == port_name || target == &json!(PORT),
            "{origin}: {probe} port {target}"
        );
    }
    let window = probe_window(at(c, "/startupProbe"));
    assert!(
        window >= MIN_STARTUP_WINDOW,
        "{origin}: the startup probe allows only {window:?} of WAL replay before liveness may kill the pod"
    );

    let sc = at(c, "/securityContext");
    assert_eq!(
        at(sc, "/allowPrivilegeEscalation"),
        &json!(false),
        "{origin}: no privilege escalation"
    );
    assert_eq!(
        at(sc, "/readOnlyRootFilesystem"),
        &json!(true),
        "{origin}: read-only root"
    );
    assert_ne!(
        at(sc, "/privileged"),
        &json!(true),
        "{origin}: not privileged"
    );
    assert!(
        at(sc, "/capabilities/drop")
            .as_array()
            .is_some_and(|d| d.contains(&json!("ALL"))),
        "{origin}: drop all capabilities"
    );

    // Options: container args replace the image's CMD; env; the config file.
    let mut options = Options {
        flags: match at(c, "/args").as_array() {
            Some(args) => args
                .iter()
                .map(|a| flag_setting(a.as_str().expect("arg"), origin))
                .collect(),
            None => image_cmd_flags(),
        },
        env: at(c, "/env")
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|env| {
                let name = text_at(env, "/name", origin);
                env_setting(name, text_at(env, "/value", origin), origin)
            })
            .collect(),
        file: None,
    };
    let file = Path::new(
        options
            .config_file()
            .unwrap_or_else(|| panic!("{origin}: no --config.file")),
    );
    let dir = file.parent().and_then(Path::to_str).expect("config dir");
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .expect("config file name");
    let mounts = at(c, "/volumeMounts").as_array().expect("volumeMounts");
    let mount_at = |path: &str| mounts.iter().find(|m| at(m, "/mountPath") == path);
    let cm_mount = mount_at(dir).unwrap_or_else(|| panic!("{origin}: nothing mounted at {dir}"));
    assert_eq!(
        at(cm_mount, "/readOnly"),
        &json!(true),
        "{origin}: config mount read-only"
    );
    let volume = at(pod, "/volumes")
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| at(v, "/name") == at(cm_mount, "/name"))
        .expect("config volume");
    assert_eq!(
        at(volume, "/configMap/name"),
        at(cm, "/metadata/name"),
        "{origin}: the config volume must be the ConfigMap"
    );
    let file_text = at(cm, &format!("/data/{name}"))
        .as_str()
        .unwrap_or_else(|| panic!("{origin}: ConfigMap has no key {name}"));
    options.file = Some(file_text.to_string());
    let config = options.resolve(origin);

    let data = config.data.to_string_lossy().into_owned();
    let data_mount = mount_at(&data)
        .unwrap_or_else(|| panic!("{origin}: nothing mounted at the data path {data}"));
    let claim = at(sts, "/spec/volumeClaimTemplates/0");
    assert_eq!(
        at(data_mount, "/name"),
        at(claim, "/metadata/name"),
        "{origin}: the data path must be the volume claim"
    );
    assert_ne!(
        at(data_mount, "/readOnly"),
        &json!(true),
        "{origin}: data must be writable"
    );
    assert_eq!(
        config.listen.port(),
        PORT,
        "{origin}: kindling must listen on {PORT}"
    );

    let svc_port = at(svc, "/spec/ports/0");
    assert_eq!(
        at(svc_port, "/port"),
        &json!(PORT),
        "{origin}: Service port"
    );
    let target = at(svc_port, "/targetPort");
    assert!(
        target == port_name || target == &json!(PORT),
        "{origin}: Service targetPort {target}"
    );
    let svc_selector = at(svc, "/spec/selector")
        .as_object()
        .expect("Service selector");
    assert!(
        svc_selector.iter().all(|(k, v)| labels.get(k) == Some(v)),
        "{origin}: the Service must select the pod"
    );

    let preferred = at(
        pod,
        "/affinity/nodeAffinity/preferredDuringSchedulingIgnoredDuringExecution",
    );
    Deployment {
        image,
        memory_request: text_at(c, "/resources/requests/memory", origin).to_string(),
        memory_limit: text_at(c, "/resources/limits/memory", origin).to_string(),
        storage: text_at(claim, "/spec/resources/requests/storage", origin).to_string(),
        storage_class: at(claim, "/spec/storageClassName")
            .as_str()
            .map(str::to_string),
        config,
        has_pi5_preference: preferred.to_string().contains("rpi5"),
    }
}

fn assert_default_deployment(d: &Deployment, origin: &str) {
    assert_eq!(
        d.image,
        image(),
        "{origin}: image and tag (the crate version)"
    );
    assert_eq!(d.memory_request, "64Mi", "{origin}: memory request");
    assert_eq!(d.memory_limit, MEMORY_LIMIT_K8S, "{origin}: memory limit");
    assert_eq!(d.storage, "10Gi", "{origin}: volume size");
    assert_eq!(
        d.storage_class.as_deref(),
        Some("local-path"),
        "{origin}: storage class"
    );
    assert!(d.has_pi5_preference, "{origin}: the Pi 5 node preference");
}

/// The kustomize base assembled from its files, as `kustomize build` would
/// (without the ConfigMap name hash).
fn kustomize_base_by_hand() -> Vec<Json> {
    let dir = "deploy/kubernetes";
    let k = yaml_file(&format!("{dir}/kustomization.yaml"));
    let mut objects = Vec::new();
    for r in at(&k, "/resources").as_array().expect("resources") {
        objects.extend(yaml_docs(
            &read(&format!("{dir}/{}", r.as_str().expect("path"))),
            dir,
        ));
    }
    for g in at(&k, "/configMapGenerator")
        .as_array()
        .into_iter()
        .flatten()
    {
        let mut data = serde_json::Map::new();
        for f in at(g, "/files").as_array().expect("files") {
            let f = f.as_str().expect("file");
            data.insert(f.to_string(), json!(read(&format!("{dir}/{f}"))));
        }
        objects.push(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": at(g, "/name")}, "data": data,
        }));
    }
    objects
}

/// `kustomize build DIR` with whichever kustomize is installed.
fn kustomize(dir: &Path) -> Option<String> {
    let d = dir.to_str().expect("utf-8 path");
    let out = run("kustomize", &["build", d]).or_else(|| run("kubectl", &["kustomize", d]))?;
    assert!(
        out.status.success(),
        "kustomize build {d}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn kustomize_base_deploys_kindling_as_specified() {
    let objects = kustomize_base_by_hand();
    let d = check_kubernetes(&objects, "deploy/kubernetes");
    assert_default_deployment(&d, "deploy/kubernetes");
    assert_eq!(
        load_config(
            &read("deploy/kubernetes/kindling.yaml"),
            "deploy/kubernetes/kindling.yaml"
        ),
        Config::defaults(),
        "deploy/kubernetes/kindling.yaml says it holds the defaults"
    );
    match kustomize(&repo().join("deploy/kubernetes")) {
        Some(out) => {
            let built = yaml_docs(&out, "kustomize build deploy/kubernetes");
            let d = check_kubernetes(&built, "kustomize build deploy/kubernetes");
            assert_default_deployment(&d, "kustomize build deploy/kubernetes");
        }
        None => skip(
            "kustomize build deploy/kubernetes",
            "neither kustomize nor kubectl is installed",
        ),
    }
}

/// Applies RFC 6902 `add`/`replace`/`remove` operations (Flux patches).
fn json_patch(doc: &mut Json, ops: &Json, origin: &str) {
    for op in ops.as_array().expect("patch is a list") {
        let path = text_at(op, "/path", origin);
        let (parent, last) = path.rsplit_once('/').expect("path");
        let target = doc
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("{origin}: patch path {parent} does not exist"));
        let value = at(op, "/value").clone();
        match (text_at(op, "/op", origin), target) {
            ("add", Json::Array(items)) if last == "-" => items.push(value),
            ("add" | "replace", Json::Array(items)) => {
                let i: usize = last.parse().expect("index");
                assert!(i < items.len(), "{origin}: {path} is out of range");
                items[i] = value;
            }
            ("add", Json::Object(map)) => {
                map.insert(last.to_string(), value);
            }
            ("replace", Json::Object(map)) => {
                assert!(map.contains_key(last), "{origin}: {path} does not exist");
                map.insert(last.to_string(), value);
            }
            ("remove", Json::Object(map)) => {
                assert!(
                    map.remove(last).is_some(),
                    "{origin}: {path} does not exist"
                );
            }
            (other, _) => panic!("{origin}: unsupported patch op {other} at {path}"),
        }
    }
}

/// The path from directory `from` to `to` (both absolute).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    to[common..].iter().for_each(|c| out.push(c));
    out
}

#[test]
fn flux_kustomization_patches_the_base_into_a_valid_deployment() {
    let origin = "deploy/flux/kindling.yaml";
    let docs = yaml_docs(&read(origin), origin);
    let source = kind(&docs, "GitRepository", origin);
    let ks = kind(&docs, "Kustomization", origin);
    assert!(text_at(ks, "/apiVersion", origin).starts_with("kustomize.toolkit.fluxcd.io/"));
    assert_eq!(
        at(ks, "/spec/sourceRef/name"),
        at(source, "/metadata/name"),
        "{origin}: sourceRef"
    );
    let path = text_at(ks, "/spec/path", origin);
    assert!(
        repo().join(path).join("kustomization.yaml").is_file(),
        "{origin}: spec.path {path} is not a kustomization"
    );
    assert!(
        at(ks, "/spec/targetNamespace").is_string(),
        "{origin}: a target namespace"
    );
    let images = at(ks, "/spec/images").as_array().expect("images");
    assert!(
        images.iter().all(|i| at(i, "/name") == IMAGE_REPOSITORY),
        "{origin}: image name"
    );
    let timeout = parse_duration(text_at(ks, "/spec/timeout", origin)).expect("timeout");
    assert!(
        timeout >= MIN_STARTUP_WINDOW,
        "{origin}: timeout shorter than a WAL replay"
    );

    // The patches applied by hand to the base ...
    let mut objects = kustomize_base_by_hand();
    for p in at(ks, "/spec/patches").as_array().expect("patches") {
        let ops = yaml_docs(text_at(p, "/patch", origin), origin).remove(0);
        let target = objects
            .iter_mut()
            .find(|o| {
                at(o, "/kind") == at(p, "/target/kind")
                    && at(o, "/metadata/name") == at(p, "/target/name")
            })
            .unwrap_or_else(|| {
                panic!(
                    "{origin}: patch target {} not in the base",
                    at(p, "/target")
                )
            });
        json_patch(target, &ops, origin);
    }
    for i in images {
        let sts = objects
            .iter_mut()
            .find(|o| at(o, "/kind") == "StatefulSet")
            .expect("StatefulSet");
        let c = sts
            .pointer_mut("/spec/template/spec/containers/0/image")
            .expect("image");
        *c = json!(format!(
            "{}:{}",
            text_at(i, "/name", origin),
            text_at(i, "/newTag", origin)
        ));
    }
    let d = check_kubernetes(&objects, origin);
    assert_default_deployment(&d, origin);

    // ... and by kustomize itself, as Flux does.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let base = relative(dir.path(), &repo().join(path));
    let overlay = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [base],
        "namespace": at(ks, "/spec/targetNamespace"),
        "images": images,
        "patches": at(ks, "/spec/patches"),
    });
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        serde_yaml::to_string(&overlay).expect("overlay"),
    )
    .expect("write overlay");
    match kustomize(dir.path()) {
        Some(out) => {
            let built = yaml_docs(&out, "kustomize build (Flux overlay)");
            let d = check_kubernetes(&built, "kustomize build (Flux overlay)");
            assert_default_deployment(&d, "kustomize build (Flux overlay)");
        }
        None => skip(
            "kustomize build of the Flux overlay",
            "neither kustomize nor kubectl is installed",
        ),
    }
}

/// A renderer for the small part of Helm's template language the chart uses:
/// `{{ }}` with `-` trimming, `.Values`/`.Release`/`.Chart`/`.Template`
/// fields, pipelines, `if`/`else`/`end`, and the functions `quote`,
/// `default`, `toYaml`, `nindent`, `indent`, `div`, `print`, `include` and
/// `sha256sum` (a non-cryptographic stand-in digest: only its presence
/// matters here). Used when `helm` is not installed.
mod helm {
    use serde_yaml::{Mapping, Value};
    use std::path::{Path, PathBuf};

    /// A chart with its values, as `helm template NAME CHART -n NAMESPACE`.
    pub struct Chart {
        dir: PathBuf,
        chart: Value,
        values: Value,
        release: String,
        namespace: String,
    }

    enum Node {
        Text(String),
        Action(String),
        If(String, Vec<Node>, Vec<Node>),
    }

    #[derive(Clone, Debug)]
    enum Val {
        Y(Value),
        /// The root context `.`.
        Dot,
    }

    fn merge(base: &mut Value, over: &Value) {
        match (base, over) {
            (Value::Mapping(b), Value::Mapping(o)) => {
                for (k, v) in o {
                    match b.get_mut(k) {
                        Some(slot) => merge(slot, v),
                        None => {
                            b.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            (b, o) => *b = o.clone(),
        }
    }

    fn yaml(path: &Path) -> Result<Value, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    impl Chart {
        /// Loads the chart with `overrides` (YAML) merged over values.yaml.
        pub fn load(
            dir: &Path,
            release: &str,
            namespace: &str,
            overrides: &str,
        ) -> Result<Chart, String> {
            let mut values = yaml(&dir.join("values.yaml"))?;
            let over: Value = serde_yaml::from_str(overrides).map_err(|e| e.to_string())?;
            if !over.is_null() {
                merge(&mut values, &over);
            }
            Ok(Chart {
                dir: dir.to_path_buf(),
                chart: yaml(&dir.join("Chart.yaml"))?,
                values,
                release: release.to_string(),
                namespace: namespace.to_string(),
            })
        }

        fn name(&self) -> String {
            self.chart
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        }

        /// Every template rendered, by file name (helpers and NOTES.txt
        /// rendered too, but not returned as manifests).
        pub fn render_manifests(&self) -> Result<Vec<(String, String)>, String> {
            let mut names: Vec<String> = std::fs::read_dir(self.dir.join("templates"))
                .map_err(|e| e.to_string())?
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect();
            names.sort();
            let mut out = Vec::new();
            for name in names {
                let text = self.render_file(&name)?;
                if !(name.starts_with('_') || name == "NOTES.txt") {
                    out.push((name, text));
                }
            }
            Ok(out)
        }

        fn render_file(&self, name: &str) -> Result<String, String> {
            let path = self.dir.join("templates").join(name);
            let src =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let nodes = parse(&mut lex(&src)?.into_iter().peekable(), false)?.0;
            let mut out = String::new();
            self.exec(&nodes, &mut out)
                .map_err(|e| format!("{name}: {e}"))?;
            Ok(out)
        }

        fn exec(&self, nodes: &[Node], out: &mut String) -> Result<(), String> {
            for node in nodes {
                match node {
                    Node::Text(t) => out.push_str(t),
                    Node::Action(expr) => out.push_str(&text(&self.eval(expr)?)?),
                    Node::If(cond, then, otherwise) => {
                        let branch = if truthy(&self.eval(cond)?) {
                            then
                        } else {
                            otherwise
                        };
                        self.exec(branch, out)?;
                    }
                }
            }
            Ok(())
        }

        fn eval(&self, expr: &str) -> Result<Val, String> {
            self.pipeline(&tokens(expr)?)
        }

        fn pipeline(&self, toks: &[String]) -> Result<Val, String> {
            let mut acc = None;
            let mut depth = 0;
            let mut start = 0;
            for (i, t) in toks.iter().enumerate() {
                match t.as_str() {
                    "(" => depth += 1,
                    ")" => depth -= 1,
                    "|" if depth == 0 => {
                        acc = Some(self.command(&toks[start..i], acc)?);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            self.command(&toks[start..], acc)
        }

        fn command(&self, toks: &[String], piped: Option<Val>) -> Result<Val, String> {
            let mut terms: Vec<&[String]> = Vec::new();
            let mut i = 0;
            while i < toks.len() {
                if toks[i] == "(" {
                    let mut depth = 0;
                    let end = (i..toks.len())
                        .find(|&j| {
                            depth += match toks[j].as_str() {
                                "(" => 1,
                                ")" => -1,
                                _ => 0,
                            };
                            depth == 0
                        })
                        .ok_or("unbalanced (")?;
                    terms.push(&toks[i..=end]);
                    i = end + 1;
                } else {
                    terms.push(&toks[i..=i]);
                    i += 1;
                }
            }
            let first = terms.first().ok_or("empty command")?;
            let is_function =
                first.len() == 1 && first[0].starts_with(|c: char| c.is_ascii_alphabetic());
            if !is_function {
                if terms.len() != 1 || piped.is_some() {
                    return Err(format!("cannot apply {toks:?}"));
                }
                return self.term(first);
            }
            let mut args = terms[1..]
                .iter()
                .map(|t| self.term(t))
                .collect::<Result<Vec<_>, _>>()?;
            args.extend(piped);
            self.call(&first[0], args)
        }

        fn term(&self, t: &[String]) -> Result<Val, String> {
            if t.len() > 1 {
                return self.pipeline(&t[1..t.len() - 1]);
            }
            let t = t[0].as_str();
            if t == "." || t == "$" {
                return Ok(Val::Dot);
            }
            if let Some(s) = t.strip_prefix('"') {
                return Ok(Val::Y(Value::String(
                    s.trim_end_matches('"').replace("\\\"", "\""),
                )));
            }
            if let Ok(n) = t.parse::<i64>() {
                return Ok(Val::Y(Value::from(n)));
            }
            let path = t.trim_start_matches('$');
            let mut parts = path
                .strip_prefix('.')
                .ok_or(format!("unknown term {t}"))?
                .split('.');
            let root = parts.next().unwrap_or_default();
            let rest: Vec<&str> = parts.collect();
            let field = |v: &Value, rest: &[&str]| {
                rest.iter()
                    .fold(v.clone(), |v, k| v.get(*k).cloned().unwrap_or(Value::Null))
            };
            Ok(Val::Y(match (root, rest.as_slice()) {
                ("Values", r) => field(&self.values, r),
                ("Release", ["Name"]) => Value::from(self.release.as_str()),
                ("Release", ["Namespace"]) => Value::from(self.namespace.as_str()),
                ("Chart", [k]) => {
                    let mut key = k.to_string();
                    key[..1].make_ascii_lowercase();
                    field(&self.chart, &[key.as_str()])
                }
                ("Template", ["BasePath"]) => Value::from(format!("{}/templates", self.name())),
                _ => return Err(format!("unknown field {t}")),
            }))
        }

        fn call(&self, f: &str, args: Vec<Val>) -> Result<Val, String> {
            let s = |v: &Val| text(v);
            let y = |v: &Val| match v {
                Val::Y(y) => Ok(y.clone()),
                Val::Dot => Err("the root context is not a value".to_string()),
            };
            let int = |v: &Val| y(v)?.as_i64().ok_or(format!("{v:?} is not an integer"));
            let arity = |n: usize| {
                if args.len() == n {
                    Ok(())
                } else {
                    Err(format!("{f} takes {n} arguments, got {}", args.len()))
                }
            };
            let string = |x: String| Ok(Val::Y(Value::String(x)));
            match f {
                "quote" => {
                    arity(1)?;
                    string(format!(
                        "\"{}\"",
                        s(&args[0])?.replace('\\', "\\\\").replace('"', "\\\"")
                    ))
                }
                "default" => {
                    arity(2)?;
                    Ok(if truthy(&args[1]) {
                        args[1].clone()
                    } else {
                        args[0].clone()
                    })
                }
                "toYaml" => {
                    arity(1)?;
                    let out = serde_yaml::to_string(&y(&args[0])?).map_err(|e| e.to_string())?;
                    string(out.trim_end().to_string())
                }
                "indent" | "nindent" => {
                    arity(2)?;
                    let pad =
                        " ".repeat(usize::try_from(int(&args[0])?).map_err(|e| e.to_string())?);
                    let body: Vec<String> =
                        s(&args[1])?.lines().map(|l| format!("{pad}{l}")).collect();
                    let lead = if f == "nindent" { "\n" } else { "" };
                    string(format!("{lead}{}", body.join("\n")))
                }
                "div" => {
                    arity(2)?;
                    let d = int(&args[1])?;
                    if d == 0 {
                        return Err("div by zero".into());
                    }
                    Ok(Val::Y(Value::from(int(&args[0])? / d)))
                }
                "print" => string(args.iter().map(s).collect::<Result<Vec<_>, _>>()?.concat()),
                "include" => {
                    arity(2)?;
                    let name = s(&args[0])?;
                    let file = name
                        .strip_prefix(&format!("{}/templates/", self.name()))
                        .ok_or(format!(
                            "include of {name}: only template files are supported"
                        ))?;
                    string(self.render_file(file)?)
                }
                "sha256sum" => {
                    arity(1)?;
                    let digest = s(&args[0])?.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                    });
                    string(format!("{digest:016x}"))
                }
                _ => Err(format!("unsupported function {f}")),
            }
        }
    }

    fn truthy(v: &Val) -> bool {
        match v {
            Val::Dot => true,
            Val::Y(Value::Null) => false,
            Val::Y(Value::Bool(b)) => *b,
            Val::Y(Value::Number(n)) => n.as_f64() != Some(0.0),
            Val::Y(Value::String(s)) => !s.is_empty(),
            Val::Y(Value::Sequence(s)) => !s.is_empty(),
            Val::Y(Value::Mapping(m)) => m != &Mapping::new(),
            Val::Y(Value::Tagged(_)) => true,
        }
    }

    fn text(v: &Val) -> Result<String, String> {
        match v {
            Val::Y(Value::String(s)) => Ok(s.clone()),
            Val::Y(Value::Number(n)) => Ok(n.to_string()),
            Val::Y(Value::Bool(b)) => Ok(b.to_string()),
            Val::Y(Value::Null) => Ok(String::new()),
            other => Err(format!("cannot print {other:?} (use toYaml)")),
        }
    }

    /// Splits a template into text and actions, applying `{{-`/`-}}` trimming.
    fn lex(src: &str) -> Result<Vec<Node>, String> {
        let mut out = Vec::new();
        let mut rest = src;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or("unclosed {{")?;
            let mut inner = &after[..end];
            let mut text = &rest[..start];
            if let Some(i) = inner.strip_prefix("- ") {
                text = text.trim_end();
                inner = i;
            }
            let trim_right = inner.ends_with(" -");
            if trim_right {
                inner = &inner[..inner.len() - 2];
            }
            out.push(Node::Text(text.to_string()));
            out.push(Node::Action(inner.trim().to_string()));
            rest = &after[end + 2..];
            if trim_right {
                rest = rest.trim_start();
            }
        }
        out.push(Node::Text(rest.to_string()));
        Ok(out)
    }

    /// Builds `if`/`else`/`end` blocks; returns the nodes and whether the
    /// block ended with `else`.
    fn parse(
        toks: &mut std::iter::Peekable<std::vec::IntoIter<Node>>,
        nested: bool,
    ) -> Result<(Vec<Node>, bool), String> {
        let mut nodes = Vec::new();
        while let Some(tok) = toks.next() {
            match tok {
                Node::Action(a) if a.starts_with("/*") => {}
                Node::Action(a) if a == "end" || a == "else" => {
                    if !nested {
                        return Err(format!("unexpected {{{{ {a} }}}}"));
                    }
                    return Ok((nodes, a == "else"));
                }
                Node::Action(a) if a.starts_with("if ") => {
                    let (then, has_else) = parse(toks, true)?;
                    let otherwise = if has_else {
                        parse(toks, true)?.0
                    } else {
                        Vec::new()
                    };
                    nodes.push(Node::If(a[3..].to_string(), then, otherwise));
                }
                other => nodes.push(other),
            }
        }
        if nested {
            return Err("missing {{ end }}".into());
        }
        Ok((nodes, false))
    }

    /// Splits an expression into words, strings, parentheses and pipes.
    fn tokens(expr: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        let mut chars = expr.chars().peekable();
        while let Some(&c) = chars.peek() {
            match c {
                ' ' | '\t' | '\n' => {
                    chars.next();
                }
                '(' | ')' | '|' => {
                    out.push(c.to_string());
                    chars.next();
                }
                '"' => {
                    let mut s = String::from(chars.next().unwrap_or('"'));
                    loop {
                        let ch = chars.next().ok_or("unterminated string")?;
                        s.push(ch);
                        if ch == '\\' {
                            s.push(chars.next().ok_or("unterminated string")?);
                        } else if ch == '"' {
                            break;
                        }
                    }
                    out.push(s);
                }
                _ => {
                    let mut w = String::new();
                    while let Some(&ch) = chars.peek() {
                        if " \t\n()|".contains(ch) {
                            break;
                        }
                        w.push(ch);
                        chars.next();
                    }
                    out.push(w);
                }
            }
        }
        Ok(out)
    }
}

/// Renders the chart with `helm template` when installed, else with the
/// renderer above; returns the manifests and which renderer was used.
fn render_chart(overrides: &str) -> (Vec<Json>, &'static str) {
    let chart = repo().join("deploy/helm/kindling");
    let values = tempfile::NamedTempFile::new().expect("values file");
    std::fs::write(values.path(), overrides).expect("write values");
    let args = [
        "template",
        "kindling",
        chart.to_str().expect("path"),
        "--namespace",
        "monitoring",
        "--values",
        values.path().to_str().expect("path"),
    ];
    if let Some(out) = run("helm", &args) {
        assert!(
            out.status.success(),
            "helm template: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return (
            yaml_docs(&String::from_utf8_lossy(&out.stdout), "helm template"),
            "helm template",
        );
    }
    let rendered = helm::Chart::load(&chart, "kindling", "monitoring", overrides)
        .and_then(|c| c.render_manifests())
        .unwrap_or_else(|e| panic!("deploy/helm/kindling: {e}"));
    let objects = rendered
        .iter()
        .flat_map(|(name, text)| yaml_docs(text, name))
        .collect();
    (objects, "the test's template renderer")
}

#[test]
fn helm_chart_renders_the_same_deployment_with_default_values() {
    let chart = yaml_file("deploy/helm/kindling/Chart.yaml");
    assert_eq!(at(&chart, "/apiVersion"), "v2");
    assert_eq!(
        at(&chart, "/appVersion"),
        env!("CARGO_PKG_VERSION"),
        "appVersion is the crate version"
    );
    let (objects, renderer) = render_chart("");
    if renderer != "helm template" {
        skip(
            "helm template",
            "helm is not installed; rendered with the test's own renderer",
        );
    }
    let origin = format!("deploy/helm/kindling ({renderer})");
    let d = check_kubernetes(&objects, &origin);
    assert_default_deployment(&d, &origin);
    assert_eq!(
        d.config.retention,
        Some(Duration::from_secs(7 * 86_400)),
        "{origin}: retention"
    );
    let sts = kind(&objects, "StatefulSet", &origin);
    assert!(
        at(sts, "/spec/template/metadata/annotations/checksum~1config").is_string(),
        "{origin}: a config change must roll the pod"
    );
    if let Some(out) = run(
        "helm",
        &[
            "lint",
            repo().join("deploy/helm/kindling").to_str().expect("path"),
        ],
    ) {
        assert!(
            out.status.success(),
            "helm lint: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn helm_values_set_retention_storage_resources_and_options() {
    let overrides = "
retention: 14d
persistence:
  size: 20Gi
  storageClass: ''
resources:
  requests:
    memory: 128Mi
  limits:
    memory: 1Gi
config:
  max_query_series: 1000
  wal_sync_interval: 0
affinity: null
";
    let (objects, renderer) = render_chart(overrides);
    let origin = format!("deploy/helm/kindling with overrides ({renderer})");
    let d = check_kubernetes(&objects, &origin);
    assert_eq!(d.config.retention, Some(Duration::from_secs(14 * 86_400)));
    assert_eq!(d.config.max_query_series, 1000);
    assert_eq!(d.config.wal_sync_interval, Duration::ZERO);
    assert_eq!(d.storage, "20Gi");
    assert_eq!(
        d.storage_class, None,
        "an empty storage class leaves the cluster default"
    );
    assert_eq!(
        (d.memory_request.as_str(), d.memory_limit.as_str()),
        ("128Mi", "1Gi")
    );
    assert!(!d.has_pi5_preference);
}

#[test]
fn helm_renderer_trims_substitutes_and_branches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = dir.path();
    std::fs::create_dir(chart.join("templates")).expect("templates");
    std::fs::write(
        chart.join("Chart.yaml"),
        "name: c\nversion: 1.0.0\nappVersion: '2'\n",
    )
    .expect("Chart.yaml");
    std::fs::write(chart.join("values.yaml"), "a: {b: x}\nn: 10\nm: {}\n").expect("values");
    let cases = [
        ("v: {{ .Values.a.b | quote }}", "v: \"x\""),
        (
            "v: {{ .Values.missing | default .Chart.AppVersion }}",
            "v: 2",
        ),
        (
            "l:\n  {{- if .Values.m }}\n  m: 1\n  {{- else }}\n  m: 0\n  {{- end }}",
            "l:\n  m: 0",
        ),
        ("x:{{- toYaml .Values.a | nindent 2 }}", "x:\n  b: x"),
        (
            "d: {{ div .Values.n 3 }} r: {{ .Release.Name }}-{{ .Chart.Version }}",
            "d: 3 r: rel-1.0.0",
        ),
        (
            "i: {{ include (print $.Template.BasePath \"/inc.txt\") . }}",
            "i: inc rel",
        ),
    ];
    std::fs::write(chart.join("templates/inc.txt"), "inc {{ .Release.Name }}").expect("inc");
    for (i, (src, _)) in cases.iter().enumerate() {
        std::fs::write(chart.join(format!("templates/t{i}.yaml")), src).expect("template");
    }
    let c = helm::Chart::load(chart, "rel", "ns", "").expect("load");
    let out: BTreeMap<String, String> = c.render_manifests().expect("render").into_iter().collect();
    for (i, (src, want)) in cases.iter().enumerate() {
        assert_eq!(out[&format!("t{i}.yaml")], *want, "{src}");
    }
    std::fs::write(chart.join("templates/bad.yaml"), "{{ if .Values.a }}x").expect("bad");
    assert!(c.render_manifests().is_err(), "a missing end is an error");
}

// ---------------------------------------------------------------------------
// podman quadlet and systemd

/// An INI-style unit file: (section, key, value) in order.
fn unit_entries(rel: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in read(rel).lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.to_string();
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{rel}: bad line {line:?}"));
        out.push((section.clone(), k.trim().to_string(), v.trim().to_string()));
    }
    out
}

fn unit_values<'a>(
    entries: &'a [(String, String, String)],
    section: &str,
    key: &str,
) -> Vec<&'a str> {
    entries
        .iter()
        .filter(|(s, k, _)| s == section && k == key)
        .map(|(_, _, v)| v.as_str())
        .collect()
}

fn unit_value<'a>(
    entries: &'a [(String, String, String)],
    section: &str,
    key: &str,
    origin: &str,
) -> &'a str {
    match unit_values(entries, section, key).as_slice() {
        [v] => v,
        other => panic!("{origin}: expected one {key}= in [{section}], found {other:?}"),
    }
}

fn seconds(v: &str, origin: &str) -> Duration {
    v.parse::<u64>()
        .map(Duration::from_secs)
        .or_else(|_| parse_duration(v))
        .unwrap_or_else(|e| panic!("{origin}: bad duration {v}: {e}"))
}

/// Options set through `Environment=KINDLING_*=...` lines.
fn unit_env_settings(
    entries: &[(String, String, String)],
    section: &str,
    origin: &str,
) -> Vec<Setting> {
    unit_values(entries, section, "Environment")
        .into_iter()
        .flat_map(|v| v.split_whitespace())
        .filter_map(|assignment| {
            let (name, value) = assignment
                .trim_matches('"')
                .split_once('=')
                .expect("NAME=value");
            env_setting(name, value, origin)
        })
        .collect()
}

/// `[Container]` keys of quadlet in podman 5.x.
const QUADLET_CONTAINER_KEYS: &[&str] = &[
    "AddCapability",
    "AddDevice",
    "AddHost",
    "Annotation",
    "AutoUpdate",
    "CgroupsMode",
    "ContainerName",
    "ContainersConfModule",
    "DNS",
    "DNSOption",
    "DNSSearch",
    "DropCapability",
    "Entrypoint",
    "Environment",
    "EnvironmentFile",
    "EnvironmentHost",
    "Exec",
    "ExposeHostPort",
    "GIDMap",
    "GlobalArgs",
    "Group",
    "GroupAdd",
    "HealthCmd",
    "HealthInterval",
    "HealthOnFailure",
    "HealthRetries",
    "HealthStartPeriod",
    "HealthStartupCmd",
    "HealthStartupInterval",
    "HealthStartupRetries",
    "HealthStartupSuccess",
    "HealthStartupTimeout",
    "HealthTimeout",
    "HostName",
    "IP",
    "IP6",
    "Image",
    "Label",
    "LogDriver",
    "LogOpt",
    "Mask",
    "Mount",
    "Network",
    "NetworkAlias",
    "NoNewPrivileges",
    "Notify",
    "PidsLimit",
    "Pod",
    "PodmanArgs",
    "PublishPort",
    "Pull",
    "ReadOnly",
    "ReadOnlyTmpfs",
    "Rootfs",
    "RunInit",
    "SeccompProfile",
    "Secret",
    "SecurityLabelDisable",
    "SecurityLabelFileType",
    "SecurityLabelLevel",
    "SecurityLabelNested",
    "SecurityLabelType",
    "ShmSize",
    "StopSignal",
    "StopTimeout",
    "SubGIDMap",
    "SubUIDMap",
    "Sysctl",
    "Timezone",
    "Tmpfs",
    "UIDMap",
    "Ulimit",
    "Unmask",
    "User",
    "UserNS",
    "Volume",
    "WorkingDir",
];

#[test]
fn quadlet_runs_the_image_with_its_volume_port_limits_and_stop_timeout() {
    let origin = "deploy/podman/kindling.container";
    let e = unit_entries(origin);
    for (section, key, _) in &e {
        assert!(
            ["Unit", "Container", "Service", "Install"].contains(&section.as_str()),
            "{origin}: unknown section [{section}]"
        );
        if section == "Container" {
            assert!(
                QUADLET_CONTAINER_KEYS.contains(&key.as_str()),
                "{origin}: quadlet has no key {key}"
            );
        }
    }
    assert_eq!(unit_value(&e, "Container", "Image", origin), image());
    assert!(
        unit_values(&e, "Container", "User")
            .iter()
            .all(|u| !["0", "root"].contains(u)),
        "{origin}: must not run as root"
    );
    let publish = unit_value(&e, "Container", "PublishPort", origin);
    assert!(
        publish.ends_with(&format!(":{PORT}")),
        "{origin}: PublishPort {publish}"
    );

    // Exec= replaces the image's CMD, as a container's args do.
    let exec = unit_values(&e, "Container", "Exec");
    let options = Options {
        flags: if exec.is_empty() {
            image_cmd_flags()
        } else {
            exec.iter()
                .flat_map(|x| x.split_whitespace())
                .map(|a| flag_setting(a, origin))
                .collect()
        },
        env: unit_env_settings(&e, "Container", origin),
        file: None,
    };
    assert!(
        options.config_file().is_none(),
        "{origin}: a config file would need a mount; use Environment="
    );
    let config = options.resolve(origin);
    assert_eq!(
        config.listen.port(),
        PORT,
        "{origin}: kindling must listen on {PORT}"
    );
    let data = config.data.to_string_lossy().into_owned();
    let volume = unit_value(&e, "Container", "Volume", origin);
    assert!(
        volume.ends_with(&format!(":{data}")),
        "{origin}: Volume {volume} is not at the data path {data}"
    );

    assert_eq!(unit_value(&e, "Container", "ReadOnly", origin), "true");
    assert_eq!(
        unit_value(&e, "Container", "NoNewPrivileges", origin),
        "true"
    );
    assert!(unit_value(&e, "Container", "DropCapability", origin).eq_ignore_ascii_case("all"));
    let podman_args = unit_values(&e, "Container", "PodmanArgs").join(" ");
    assert!(
        podman_args.contains("--memory=512m") || unit_values(&e, "Container", "Memory") == ["512m"],
        "{origin}: the 512m memory limit"
    );
    let stop = seconds(unit_value(&e, "Container", "StopTimeout", origin), origin);
    assert!(
        stop >= MIN_STOP_GRACE,
        "{origin}: StopTimeout {stop:?} is too short"
    );
    let systemd_stop = seconds(unit_value(&e, "Service", "TimeoutStopSec", origin), origin);
    assert!(
        systemd_stop > stop,
        "{origin}: systemd must wait longer than podman"
    );
    assert!(
        !unit_values(&e, "Install", "WantedBy").is_empty(),
        "{origin}: [Install] WantedBy"
    );

    let generator = ["/usr/libexec/podman/quadlet", "/usr/lib/podman/quadlet"]
        .into_iter()
        .find(|p| Path::new(p).is_file());
    match generator {
        Some(quadlet) => {
            let dir = tempfile::tempdir().expect("tempdir");
            std::fs::copy(repo().join(origin), dir.path().join("kindling.container"))
                .expect("copy");
            let out = Command::new(quadlet)
                .args(["-dryrun", "-no-kmsg-log"])
                .env("QUADLET_UNIT_DIRS", dir.path())
                .output()
                .expect("run quadlet");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && text.contains("kindling.service"),
                "quadlet -dryrun: {}{}",
                text,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        None => skip(
            "quadlet -dryrun",
            "podman's quadlet generator (podman >= 4.4) is not installed",
        ),
    }
}

#[test]
fn systemd_unit_is_sandboxed_limited_and_verifies() {
    let origin = "deploy/systemd/kindling.service";
    let e = unit_entries(origin);
    let service = |key: &str| unit_value(&e, "Service", key, origin);
    assert!(
        service("DynamicUser") == "yes"
            || unit_values(&e, "Service", "User")
                .iter()
                .any(|u| *u != "root"),
        "{origin}: a non-root user"
    );
    assert_eq!(service("ProtectSystem"), "strict");
    assert_eq!(service("MemoryMax"), "512M");
    assert_eq!(service("NoNewPrivileges"), "yes");
    assert_eq!(
        service("CapabilityBoundingSet"),
        "",
        "{origin}: no capabilities"
    );
    let state = service("StateDirectory");
    let stop = seconds(service("TimeoutStopSec").trim_end_matches('s'), origin);
    assert!(stop >= MIN_STOP_GRACE, "{origin}: TimeoutStopSec {stop:?}");

    let exec = service("ExecStart");
    let mut words = exec.split_whitespace();
    let binary = words.next().expect("ExecStart binary");
    assert!(
        binary.ends_with("/kindling"),
        "{origin}: ExecStart runs {binary}"
    );
    // %S is systemd's state directory root.
    let specifiers = |(k, v): Setting| (k, v.replace("%S", "/var/lib"));
    let options = Options {
        flags: words
            .map(|a| flag_setting(a, origin))
            .map(specifiers)
            .collect(),
        env: unit_env_settings(&e, "Service", origin)
            .into_iter()
            .map(specifiers)
            .collect(),
        file: None,
    };
    let config = options.resolve(origin);
    assert_eq!(
        config.data,
        PathBuf::from("/var/lib").join(state),
        "{origin}: the data directory must be the StateDirectory (the only writable path)"
    );
    assert_eq!(config.listen.port(), PORT);

    if run("systemd-analyze", &["--version"]).is_none() {
        skip("systemd-analyze verify", "systemd-analyze is not installed");
        return;
    }
    // verify insists that ExecStart exists: point it at the binary under test.
    let dir = tempfile::tempdir().expect("tempdir");
    let unit = dir.path().join("kindling.service");
    let text = read(origin).replace(
        &format!("ExecStart={binary}"),
        &format!("ExecStart={}", env!("CARGO_BIN_EXE_kindling")),
    );
    std::fs::write(&unit, text).expect("write unit");
    let unit = unit.to_str().expect("path");
    let out = run("systemd-analyze", &["verify", unit]).expect("systemd-analyze");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify: {said}"
    );
    let out = run(
        "systemd-analyze",
        &["security", "--offline=yes", "--threshold=20", unit],
    )
    .expect("security");
    let report = String::from_utf8_lossy(&out.stdout);
    let overall = report
        .lines()
        .find(|l| l.contains("Overall exposure"))
        .unwrap_or_default();
    println!("systemd-analyze security: {}", overall.trim());
    assert!(
        out.status.success(),
        "systemd-analyze security rates the sandbox above 2.0: {overall}"
    );
}

// ---------------------------------------------------------------------------
// Grafana, shippers, and every file under deploy/

#[test]
fn grafana_data_source_is_loki_pointing_at_kindling() {
    let origin = "deploy/grafana/datasource.yaml";
    let doc = yaml_file(origin);
    assert_eq!(at(&doc, "/apiVersion"), &json!(1));
    let ds = at(&doc, "/datasources/0");
    assert_eq!(
        at(ds, "/type"),
        "loki",
        "{origin}: Grafana must see an ordinary Loki"
    );
    assert_eq!(at(ds, "/access"), "proxy");
    let url = text_at(ds, "/url", origin);
    assert!(url.ends_with(&format!(":{PORT}")), "{origin}: url {url}");
    let defaults = Config::defaults();
    let max_lines = at(ds, "/jsonData/maxLines").as_u64().expect("maxLines");
    assert!(
        max_lines <= defaults.max_entries_limit_per_query as u64,
        "{origin}: maxLines above kindling's max_entries_limit_per_query"
    );
    let timeout = Duration::from_secs(at(ds, "/jsonData/timeout").as_u64().expect("timeout"));
    assert!(
        timeout >= defaults.query_timeout,
        "{origin}: Grafana would give up before kindling's query_timeout answers"
    );
    let providers = yaml_file("deploy/grafana/dashboards.yaml");
    assert_eq!(at(&providers, "/providers/0/type"), "file");
}

/// Metric names documented in README.md (the first column of its tables).
fn documented_metrics() -> BTreeSet<String> {
    read("README.md")
        .lines()
        .filter_map(|l| l.strip_prefix("| `kindling_"))
        .map(|rest| {
            format!(
                "kindling_{}",
                rest.split(['`', '{']).next().unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn dashboard_queries_only_documented_metrics_and_covers_the_essentials() {
    let origin = "deploy/grafana/kindling-dashboard.json";
    let dash: Json =
        serde_json::from_str(&read(origin)).unwrap_or_else(|e| panic!("{origin}: {e}"));
    let documented = documented_metrics();
    assert!(
        documented.len() >= 17,
        "README.md lists {} metrics",
        documented.len()
    );
    let mut used = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for p in at(&dash, "/panels").as_array().expect("panels") {
        let id = at(p, "/id").as_u64().expect("panel id");
        assert!(ids.insert(id), "{origin}: duplicate panel id {id}");
        assert!(
            at(p, "/gridPos/w").is_u64(),
            "{origin}: panel {id} has no gridPos"
        );
        for t in at(p, "/targets").as_array().into_iter().flatten() {
            assert_eq!(
                at(t, "/datasource/uid"),
                "${datasource}",
                "{origin}: panel {id} datasource"
            );
            let expr = text_at(t, "/expr", origin);
            let depth = expr.chars().try_fold(0i32, |d, c| {
                let d = d + i32::from(c == '(') - i32::from(c == ')');
                (d >= 0).then_some(d)
            });
            assert_eq!(depth, Some(0), "{origin}: unbalanced parentheses in {expr}");
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if word.starts_with("kindling_") {
                    let base = ["_bucket", "_sum", "_count"]
                        .iter()
                        .find_map(|s| word.strip_suffix(s).filter(|b| documented.contains(*b)))
                        .unwrap_or(word);
                    assert!(
                        documented.contains(base),
                        "{origin}: {word} is not in README.md"
                    );
                    used.insert(base.to_string());
                }
            }
        }
    }
    for essential in [
        "kindling_ingest_lines_total",
        "kindling_ingest_bytes_total",
        "kindling_ingest_rejected_lines_total",
        "kindling_head_bytes",
        "kindling_wal_size_bytes",
        "kindling_disk_bytes",
        "kindling_query_duration_seconds",
    ] {
        assert!(
            used.contains(essential),
            "{origin}: no panel shows {essential}"
        );
    }
}

fn assert_push_url(url: &str, origin: &str) {
    assert!(
        url.ends_with(&format!(":{PORT}/loki/api/v1/push")),
        "{origin}: push URL {url} is not kindling's push endpoint"
    );
}

#[test]
fn vector_drains_heroku_into_kindling_with_the_users_labels() {
    let origin = "deploy/shippers/vector.yaml";
    let v = yaml_file(origin);
    let source = at(&v, "/sources/heroku");
    assert_eq!(at(source, "/type"), "http_server");
    assert_eq!(
        at(source, "/framing/method"),
        "octet_counting",
        "{origin}: logplex framing"
    );
    let remap = at(&v, "/transforms/heroku_parse");
    assert_eq!(at(remap, "/type"), "remap");
    let vrl = text_at(remap, "/source", origin);
    let sink = at(&v, "/sinks/kindling");
    assert_eq!(at(sink, "/type"), "loki");
    assert_eq!(at(sink, "/inputs/0"), "heroku_parse");
    let endpoint = text_at(sink, "/endpoint", origin);
    assert!(
        endpoint.ends_with(&format!(":{PORT}")),
        "{origin}: endpoint {endpoint}"
    );
    assert!(
        at(sink, "/path").is_null(),
        "{origin}: the default path is kindling's push path"
    );
    let labels = at(sink, "/labels").as_object().expect("labels");
    for label in ["source", "app", "dyno", "level"] {
        assert!(labels.contains_key(label), "{origin}: label {label}");
        assert!(
            vrl.contains(&format!(".{label} = ")),
            "{origin}: the remap never sets .{label}"
        );
    }
    assert!(labels.len() <= Config::defaults().max_label_names_per_series);
    let tests = at(&v, "/tests").as_array().expect("vector unit tests");
    assert!(
        tests
            .iter()
            .all(|t| at(t, "/inputs/0/insert_at") == "heroku_parse"),
        "{origin}: unit tests exercise the remap"
    );
}

#[test]
fn promtail_and_alloy_push_the_users_files_to_kindling() {
    let origin = "deploy/shippers/promtail.yaml";
    let p = yaml_file(origin);
    assert_push_url(text_at(&p, "/clients/0/url", origin), origin);
    let max_labels = Config::defaults().max_label_names_per_series;
    let mut jobs = BTreeSet::new();
    for job in at(&p, "/scrape_configs")
        .as_array()
        .expect("scrape_configs")
    {
        let name = text_at(job, "/job_name", origin);
        jobs.insert(name.to_string());
        let static_labels = at(job, "/static_configs/0/labels")
            .as_object()
            .expect("labels");
        assert!(
            static_labels.contains_key("__path__"),
            "{origin}: {name} has no __path__"
        );
        let mut extracted = BTreeSet::new();
        let mut labels: BTreeSet<String> = static_labels
            .keys()
            .filter(|k| !k.starts_with("__"))
            .cloned()
            .collect();
        for stage in at(job, "/pipeline_stages")
            .as_array()
            .expect("pipeline_stages")
        {
            if let Some(exprs) = at(stage, "/json/expressions").as_object() {
                extracted.extend(exprs.keys().cloned());
            }
            for (key, source) in ["/timestamp/source", "/drop/source"].map(|k| (k, at(stage, k))) {
                if let Some(s) = source.as_str() {
                    assert!(
                        extracted.contains(s),
                        "{origin}: {name} {key} {s} is never extracted"
                    );
                }
            }
            if let Some(ls) = at(stage, "/labels").as_object() {
                for l in ls.keys() {
                    assert!(
                        extracted.contains(l),
                        "{origin}: {name} label {l} is never extracted"
                    );
                    labels.insert(l.clone());
                }
            }
        }
        assert!(
            labels.len() <= max_labels,
            "{origin}: {name} has {} labels",
            labels.len()
        );
    }
    let expected: BTreeSet<String> = ["remediation-decisions", "traefik-access"]
        .map(String::from)
        .into();
    assert_eq!(jobs, expected, "{origin}: the two files the users ship");

    let origin = "deploy/shippers/alloy.alloy";
    let alloy = read(origin);
    let mut depth = 0i32;
    for c in alloy.chars() {
        depth += i32::from(c == '{') - i32::from(c == '}');
        assert!(depth >= 0, "{origin}: unbalanced braces");
    }
    assert_eq!(depth, 0, "{origin}: unbalanced braces");
    let url = alloy
        .lines()
        .find_map(|l| l.trim().strip_prefix("url = \""))
        .map(|u| u.trim_end_matches('"'))
        .expect("loki.write endpoint url");
    assert_push_url(url, origin);
    let defined: BTreeSet<String> = alloy
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let component = words.next()?;
            let label = words.next()?.strip_prefix('"')?.strip_suffix('"')?;
            Some(format!("{component}.{label}"))
        })
        .collect();
    assert!(
        defined.contains("loki.write.kindling"),
        "{origin}: loki.write \"kindling\""
    );
    for reference in alloy
        .split(['[', ']', ',', ' ', '\n'])
        .filter(|w| w.ends_with(".receiver") || w.ends_with(".targets"))
    {
        let component = reference
            .rsplit_once('.')
            .map(|(c, _)| c)
            .unwrap_or_default();
        assert!(
            defined.contains(component),
            "{origin}: {reference} refers to an undefined component"
        );
    }
    for job in ["remediation-decisions", "traefik-access"] {
        assert!(alloy.contains(&format!("\"{job}\"")), "{origin}: job {job}");
    }
}

/// Every YAML and JSON file under deploy/, and whether a test above checks
/// it beyond parsing.
const DEPLOY_FILES: &[&str] = &[
    "deploy/flux/kindling.yaml",
    "deploy/grafana/dashboards.yaml",
    "deploy/grafana/datasource.yaml",
    "deploy/grafana/kindling-dashboard.json",
    "deploy/helm/kindling/Chart.yaml",
    "deploy/helm/kindling/values.yaml",
    "deploy/kubernetes/kindling.yaml",
    "deploy/kubernetes/kustomization.yaml",
    "deploy/kubernetes/service.yaml",
    "deploy/kubernetes/statefulset.yaml",
    "deploy/shippers/promtail.yaml",
    "deploy/shippers/vector.yaml",
];

#[test]
fn every_yaml_and_json_file_under_deploy_parses_and_is_checked() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&repo().join("deploy"), &mut files);
    let mut seen = BTreeSet::new();
    for path in files {
        let rel = relative(&repo(), &path)
            .to_string_lossy()
            .replace('\\', "/");
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if !["yaml", "yml", "json"].contains(&ext) {
            continue;
        }
        let text = read(&rel);
        if rel.starts_with("deploy/helm/kindling/templates/") {
            assert!(
                text.contains("{{"),
                "{rel}: a template without template actions belongs elsewhere"
            );
            continue; // rendered and parsed by the Helm tests
        }
        if ext == "json" {
            serde_json::from_str::<Json>(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
        } else {
            assert!(!yaml_docs(&text, &rel).is_empty(), "{rel}: empty");
        }
        assert!(
            DEPLOY_FILES.contains(&rel.as_str()),
            "{rel} is new: add checks for it to tests/deploy.rs and list it in DEPLOY_FILES"
        );
        seen.insert(rel);
    }
    for f in DEPLOY_FILES {
        assert!(seen.contains(*f), "{f} is listed but missing");
    }
}

#[test]
fn replace_loki_mapping_names_only_real_options() {
    let doc = read("README.md");
    let section = doc
        .split("\n### ")
        .find(|s| s.starts_with("Loki settings"))
        .expect("README.md has a \"### Loki settings\" section");
    let mut mapped = 0;
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(kindling) = cells.get(2) else {
            continue;
        };
        for option in kindling.split('`').skip(1).step_by(2) {
            let key = option.split([':', '=']).next().unwrap_or_default().trim();
            let key = key.trim_start_matches("--").replace('-', "_");
            assert!(
                CONFIG_KEYS.contains(&key.as_str()) || key == "config.file",
                "README.md maps a Loki setting to {option:?}, which kindling does not have"
            );
            mapped += 1;
        }
    }
    assert!(
        mapped >= 15,
        "README.md: the Loki mapping table names {mapped} options"
    );
}
