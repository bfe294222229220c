//! Kubernetes list API stand-in.
