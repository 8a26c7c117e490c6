/** Where remote write is served and what it takes: shared by the handler, the CDK app and the local runtime. */
export const REMOTE_WRITE_PATH = '/v1/prom/write';

/** Prometheus remote_write 1.0's Content-Type; API Gateway passes it to the Lambda base64-encoded. */
export const REMOTE_WRITE_CONTENT_TYPE = 'application/x-protobuf';
