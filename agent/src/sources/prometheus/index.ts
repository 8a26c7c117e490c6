export { PrometheusParseError, SampleLimitError, ScrapeResponseError } from './errors.js';
export { mergeTargetLabels, targetLabels } from './labels.js';
export {
  familyOf,
  type MetricFamily,
  type MetricType,
  type ParseOptions,
  type PrometheusExposition,
  type PrometheusSample,
  parsePrometheusText,
} from './parse.js';
export { PrometheusScrapeSource, type PrometheusScrapeSourceOptions } from './source.js';
