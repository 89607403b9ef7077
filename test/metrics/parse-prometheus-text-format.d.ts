// Types for parse-prometheus-text-format (the package ships none).
declare module 'parse-prometheus-text-format' {
  /** Parses the Prometheus text exposition format into metric families. */
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
