//! Sampling: follow the caller, sample a ratio of new traces, never sample probes.

use std::sync::Arc;

use opentelemetry::trace::{Link, SpanKind, TraceContextExt, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, SamplingResult, ShouldSample};

use crate::{PATH_ATTRIBUTE, ROUTE_ATTRIBUTE};

/// A parent-based ratio sampler that drops every span whose `http.route` or
/// `url.path` attribute is one of the probe routes, even when the caller asked for it
/// to be sampled: a kubelet polling readiness every few seconds would
/// otherwise fill the trace store. The probe's children inherit the decision.
#[derive(Debug, Clone)]
pub struct ProbeAwareSampler {
    never: Arc<[String]>,
    inner: Sampler,
}

impl ProbeAwareSampler {
    /// `probability` of new traces sampled; `follow_parent` false drops
    /// everything (used when nothing is exported).
    pub fn new(probability: f64, follow_parent: bool, never_sample_routes: impl IntoIterator<Item = String>) -> Self {
        let inner = if follow_parent {
            Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(probability)))
        } else {
            Sampler::AlwaysOff
        };
        Self {
            never: never_sample_routes.into_iter().collect(),
            inner,
        }
    }

    fn is_probe(&self, attributes: &[KeyValue]) -> bool {
        attributes
            .iter()
            .filter(|kv| matches!(kv.key.as_str(), ROUTE_ATTRIBUTE | PATH_ATTRIBUTE))
            .any(|kv| self.never.iter().any(|r| *r == kv.value.as_str()))
    }
}

impl ShouldSample for ProbeAwareSampler {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        if self.is_probe(attributes) {
            return SamplingResult {
                decision: SamplingDecision::Drop,
                attributes: Vec::new(),
                // Keep the caller's vendor state flowing downstream.
                trace_state: parent_context
                    .filter(|cx| cx.has_active_span())
                    .map(|cx| cx.span().span_context().trace_state().clone())
                    .unwrap_or_default(),
            };
        }
        self.inner
            .should_sample(parent_context, trace_id, name, span_kind, attributes, links)
    }
}
