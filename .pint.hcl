# pint, Cloudflare's rule linter (make test: test/config/linters.test.ts), offline on
# prometheus/rules and on the PrometheusRule generated from them. The version is docker-compose.yml's
# x-lint-tools pin. Every check is on, but for the two below, each with its reason.

parser {
  # The Prometheus Operator's PrometheusRule carries the same groups under spec:, which the
  # strict parser (a rule file's own layout) does not read.
  relaxed = ["(.*/)?deploy/kubernetes/generated/prometheusrule\\.yaml"]
}

check "rule/dependency" {
  # The SLO rules (rules/slo-*.yml, one file per service, made by Sloth) read the SLO inputs that
  # recording.yml records for every job in its http group; a group cannot span files, and one
  # group per service holding the inputs would record each series twice. The SLIs read these as
  # range vectors (sum_over_time over 5 minutes to 30 days): a value one evaluation old moves that
  # window by one evaluation interval, nothing more.
  ignoreGroupMismatch = [
    "job:slo_requests:rate1m",
    "job:slo_request_failures:rate1m",
    "job_le:slo_request_duration_seconds_bucket:rate1m",
  ]
}

rule {
  match {
    name = "Watchdog"
  }
  # Always firing is the Watchdog's job: the dead man's switch that proves the alerting pipeline
  # works end to end (docs/runbooks.md).
  disable = ["alerts/comparison"]
}
