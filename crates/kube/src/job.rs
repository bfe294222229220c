//! What get-uid-map and get-workspace-map share: the options for reading
//! clusters and publishing, and the run itself. The tools are blocking CLIs;
//! a [`MapJob`] owns a small tokio runtime and blocks on it.
//!
//! Nothing is written unless every context was read and the map is not empty
//! (`--allow-empty`): a partial or empty map silently drops users' events
//! downstream. The ConfigMap goes to the cluster of `KUBECONFIG` (in-cluster
//! in a pod) while the maps are read from the clusters of `KUBECONFIG_SRC`,
//! so a job on one cluster can publish what it read on others. A map is
//! published as compressed shards of one generation behind a pointer
//! ConfigMap (`crate::published`), and `--published` reads it back.

use std::ffi::OsString;
use std::io::Write;
use std::time::Duration;

use segment_bridge_core::{env, Outcome};
use segment_bridge_net::retry::RetryPolicy;
use segment_bridge_splunk::kvstore;

use crate::config::{Cluster, Source, Timeouts};
use crate::error::Error;
use crate::list::ListOptions;
use crate::maker_error::MakerError;
use crate::maps::{self, MapKind, Merged};
use crate::published::{self, Prepared, Published};

/// Reading and publishing options common to both map makers.
#[derive(Debug, Clone, clap::Args)]
pub struct MapArgs {
    /// Kubeconfig(s) of the clusters to read (`:`-separated, merged as
    /// kubectl does). Default: the --kubeconfig files.
    #[arg(long, env = env::KUBECONFIG_SRC, value_name = "PATHS")]
    pub kubeconfig_src: Option<OsString>,

    /// Kubeconfig(s) of the cluster to publish to (its current context), and
    /// of the clusters to read when KUBECONFIG_SRC is unset. Default:
    /// ~/.kube/config, else the pod's service account (in-cluster).
    #[arg(long, env = env::KUBECONFIG, value_name = "PATHS")]
    pub kubeconfig: Option<OsString>,

    /// Publish the map into this ConfigMap by server-side apply (instead of
    /// printing it).
    #[arg(long, value_name = "NAME")]
    pub configmap: Option<String>,

    /// Namespace of the ConfigMap. Default: the publishing context's
    /// namespace (in a pod: the pod's).
    #[arg(long, value_name = "NS", requires = "configmap")]
    pub configmap_namespace: Option<String>,

    /// Print the map last published in --configmap (whole, one generation)
    /// instead of reading clusters: how the bridge job gets its maps.
    #[arg(long, requires = "configmap")]
    pub published: bool,

    /// Print the map on stdout even when publishing it.
    #[arg(long)]
    pub stdout: bool,

    /// Accept an empty map (otherwise: an error, nothing written).
    #[arg(long)]
    pub allow_empty: bool,

    /// Objects per list page (`limit`); 0 for one unpaged list.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub page_size: u32,

    /// Retries of a list page that failed transiently (connection, timeout,
    /// 429, 5xx).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub retries: u32,

    /// How long to wait for a response from an API server (`30s`, `2m`, or
    /// seconds).
    #[arg(long, default_value = "60s", value_name = "DURATION", value_parser = segment_bridge_core::duration::duration_secs)]
    pub timeout: u64,
}

/// One run of a map maker.
pub struct MapJob {
    rt: tokio::runtime::Runtime,
    args: MapArgs,
    read: Source,
    /// The publishing cluster and namespace, when `--configmap` was given.
    target: Option<(Cluster, String)>,
    timeouts: Timeouts,
    /// The tool publishes somewhere besides a ConfigMap (the KV store).
    elsewhere: bool,
}

/// What a finished run did.
#[derive(Debug, Clone)]
pub struct Report {
    pub merged: Merged,
    /// The JSON text written/published.
    pub text: String,
    /// `namespace/name` of the ConfigMap written.
    pub configmap: Option<String>,
    /// What was published there, and the share of the ceiling it uses.
    pub published: Option<(Published, f64)>,
}

impl MapJob {
    /// Loads the kubeconfigs and sets up the publishing client, so that
    /// configuration errors (exit 2) come before any cluster is read.
    pub fn new(args: MapArgs) -> Result<MapJob, Error> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let timeouts = Timeouts {
            connect: Duration::from_secs(args.timeout.clamp(1, 10)),
            read: Duration::from_secs(args.timeout.max(1)),
        };
        // Reading what was published reads the publishing cluster only
        // (KUBECONFIG_SRC may name files the bridge's pod does not have).
        let src = args.kubeconfig_src.as_deref().filter(|p| !p.is_empty());
        let read = Source::load(if args.published {
            args.kubeconfig.as_deref()
        } else {
            src.or(args.kubeconfig.as_deref())
        })?;
        let target = match &args.configmap {
            None => None,
            Some(_) => {
                let src = Source::load(args.kubeconfig.as_deref())?;
                let cluster = rt.block_on(src.cluster(None, timeouts))?;
                let ns = args
                    .configmap_namespace
                    .clone()
                    .unwrap_or_else(|| cluster.default_namespace.clone());
                Some((cluster, ns))
            }
        };
        Ok(MapJob {
            rt,
            args,
            read,
            target,
            timeouts,
            elsewhere: false,
        })
    }

    /// The kubeconfig the maps are read from.
    pub fn source(&self) -> &Source {
        &self.read
    }

    /// Tells the job that the tool publishes the map somewhere else too, so
    /// that it is printed only with `--stdout`.
    #[must_use]
    pub fn publishing_elsewhere(mut self, yes: bool) -> MapJob {
        self.elsewhere = yes;
        self
    }

    /// Whether the map goes to stdout: when it is published nowhere, or
    /// with `--stdout`.
    pub fn prints(&self) -> bool {
        self.args.stdout || (self.args.configmap.is_none() && !self.elsewhere)
    }

    /// Whether the run only reads the published map back (`--published`).
    pub fn reads_published(&self) -> bool {
        self.args.published
    }

    /// Reads `contexts` concurrently and merges them (later contexts win).
    /// Fails when any context fails (each failure is logged) or the map is
    /// empty without `--allow-empty`.
    pub fn collect(&self, kind: &MapKind, contexts: &[Option<String>]) -> Result<Merged, Error> {
        let named: Vec<String> = contexts.iter().flatten().cloned().collect();
        self.read.check_contexts(&named)?;
        let opts = ListOptions::new(self.args.page_size, RetryPolicy::new(self.args.retries));
        let results = self.rt.block_on(maps::read_contexts(
            &self.read,
            contexts,
            kind,
            &opts,
            self.timeouts,
        ));
        let total = results.len();
        let mut parts = Vec::with_capacity(total);
        let mut failures = Vec::new();
        for r in results {
            match r {
                Ok(cm) => parts.push(cm),
                Err(e) => failures.push(e),
            }
        }
        if !failures.is_empty() {
            if failures.len() == 1 && total == 1 {
                return Err(failures.remove(0));
            }
            for e in &failures {
                segment_bridge_core::cli::report_error(e);
            }
            // A configuration problem in any context is still one.
            if let Some(i) = failures.iter().position(|e| {
                segment_bridge_core::ToolError::exit_status(e)
                    == segment_bridge_core::ExitStatus::Usage
            }) {
                return Err(failures.remove(i));
            }
            return Err(Error::ContextsFailed {
                failed: failures.len(),
                total,
            });
        }
        let merged = maps::merge(kind, parts);
        if merged.map.is_empty() && !self.args.allow_empty {
            return Err(Error::Empty {
                objects: merged.objects,
                skipped: merged.skipped,
            });
        }
        Ok(merged)
    }

    /// Compresses the map for the `--configmap`, if one was given: refuses
    /// (before anything is written anywhere) a map over the ceiling.
    pub fn prepare_configmap(&self, key: &str, text: &str) -> Result<Option<Prepared>, Error> {
        match (&self.args.configmap, &self.target) {
            (Some(name), Some((_, ns))) => Prepared::new(ns, name, key, text).map(Some),
            _ => Ok(None),
        }
    }

    /// Publishes a prepared map into the `--configmap` (a new generation).
    /// Returns `namespace/name` and what was written.
    pub fn publish_configmap(
        &self,
        map: Option<&Prepared>,
    ) -> Result<Option<(String, Published, f64)>, Error> {
        let (Some(map), Some(name), Some((cluster, ns))) =
            (map, &self.args.configmap, &self.target)
        else {
            return Ok(None);
        };
        let published =
            self.rt
                .block_on(published::publish(cluster.client.clone(), ns, name, map))?;
        Ok(Some((
            format!("{ns}/{name}"),
            published,
            map.ceiling_ratio(),
        )))
    }

    /// With `--published`: prints the map last published in the
    /// `--configmap` (`key`: where an earlier version kept it inline) and
    /// returns the run's outcome; `None` without `--published`.
    pub fn print_published(
        &self,
        key: &str,
        output: &mut dyn Write,
    ) -> Result<Option<segment_bridge_core::Outcome>, Error> {
        let (true, Some(name), Some((cluster, ns))) =
            (self.args.published, &self.args.configmap, &self.target)
        else {
            return Ok(None);
        };
        let text = self
            .rt
            .block_on(published::read(cluster.client.clone(), ns, name, key))?;
        output.write_all(text.as_bytes()).map_err(Error::Output)?;
        Ok(Some(
            segment_bridge_core::Outcome::ok()
                .count("map_bytes", text.len() as u64)
                .summary(format!(
                    "read the map published in ConfigMap `{ns}/{name}` ({} bytes)",
                    text.len()
                )),
        ))
    }

    /// Writes `text` to `output` when the map is to be printed.
    pub fn print(&self, output: &mut dyn Write, text: &str) -> Result<(), Error> {
        if self.prints() {
            output.write_all(text.as_bytes()).map_err(Error::Output)?;
        }
        Ok(())
    }
}

/// What a map maker makes, and the names it publishes it under.
#[derive(Debug, Clone)]
pub struct MapMaker<'a> {
    /// The map, and so what is listed.
    pub kind: MapKind,
    /// The ConfigMap data key (the original job's file name).
    pub configmap_key: &'a str,
    /// The KV store documents' key and value fields (what querygen's
    /// lookups look up).
    pub kv_fields: (&'a str, &'a str),
}

impl MapMaker<'_> {
    /// A map maker's whole run. Configuration first (exit 2, before any
    /// cluster is read): the KV store's client, the kubeconfigs. With
    /// `--published`, prints the map published before; otherwise reads the
    /// contexts that `contexts` names (it is given the job, so that a
    /// default can come from the kubeconfig), then publishes the map to the
    /// ConfigMap and the KV store and prints it (when it is to be printed).
    pub fn run(
        &self,
        map: MapArgs,
        kv: &kvstore::PublishArgs,
        contexts: impl FnOnce(&MapJob) -> Result<Vec<Option<String>>, MakerError>,
        output: &mut dyn Write,
    ) -> Result<Outcome, MakerError> {
        let kv = kv.publisher()?;
        let job = MapJob::new(map)?.publishing_elsewhere(kv.is_some());
        if let Some(outcome) = job.print_published(self.configmap_key, output)? {
            return Ok(outcome);
        }
        let contexts = contexts(&job)?;
        let merged = job.collect(&self.kind, &contexts)?;
        let text = maps::render(&merged.map);
        // Refuse a map over the ceiling before writing anywhere.
        let prepared = job.prepare_configmap(self.configmap_key, &text)?;
        let written = job.publish_configmap(prepared.as_ref())?;
        let (key_field, value_field) = self.kv_fields;
        let extra = match &kv {
            Some(kv) => Some(kv.publish(merged.map.values(), key_field, value_field)?),
            None => None,
        };
        job.print(output, &text)?;
        let report = Report::new(merged, text, written);
        Ok(report.finish(&self.kind, extra.as_deref()))
    }
}

impl Report {
    /// The report of a run that built `merged` and published it as
    /// `written` says.
    pub fn new(merged: Merged, text: String, written: Option<(String, Published, f64)>) -> Report {
        let (configmap, published) = match written {
            Some((cm, p, ratio)) => (Some(cm), Some((p, ratio))),
            None => (None, None),
        };
        Report {
            merged,
            text,
            configmap,
            published,
        }
    }

    /// The summary line's text.
    pub fn summary(&self, extra: Option<&str>) -> String {
        let m = &self.merged;
        let mut s = format!(
            "{} entries from {} context{} ({} objects, {} skipped, {} duplicates, {} pages, {} list restarts, {} retries)",
            m.map.len(),
            m.contexts,
            if m.contexts == 1 { "" } else { "s" },
            m.objects,
            m.skipped,
            m.duplicates,
            m.pages,
            m.restarts,
            m.retries
        );
        if let Some(cm) = &self.configmap {
            s.push_str(&format!("; published ConfigMap `{cm}`"));
        }
        if let Some((p, ratio)) = &self.published {
            s.push_str(&format!(
                " (generation {}, {} shard{}, {} bytes compressed, {:.1}% of the ceiling; {} old shards deleted)",
                p.generation,
                p.shards,
                if p.shards == 1 { "" } else { "s" },
                p.compressed_bytes,
                ratio * 100.0,
                p.deleted
            ));
        }
        if let Some(x) = extra {
            s.push_str("; ");
            s.push_str(x);
        }
        s
    }

    /// Ends a successful run: pushes the map's success time and size (see
    /// `segment_bridge_core::metrics`) and returns the outcome, whose
    /// summary line the entry helper logs with the figures as fields.
    pub fn finish(&self, kind: &MapKind, extra: Option<&str>) -> segment_bridge_core::Outcome {
        match &self.published {
            Some((_, ratio)) => published::push_success_if_configured(
                kind.metric_label(),
                self.merged.map.len() as u64,
                *ratio,
            ),
            None => segment_bridge_net::push::push_map_success_if_configured(
                kind.metric_label(),
                self.merged.map.len() as u64,
            ),
        };
        self.outcome()
            .field("map", kind.metric_label())
            .field("configmap", self.configmap.as_deref())
            .summary(self.summary(extra))
    }

    /// The run's figures for the exit outcome, metrics and summary line.
    pub fn outcome(&self) -> segment_bridge_core::Outcome {
        let m = &self.merged;
        segment_bridge_core::Outcome::ok()
            .count("map_entries", m.map.len() as u64)
            .count("objects_read", m.objects)
            .count("objects_skipped", m.skipped)
            .count("duplicates", m.duplicates)
            .count("contexts", m.contexts as u64)
            .count("pages", m.pages)
            .count("list_restarts", m.restarts)
            .count("retries", m.retries)
    }
}
