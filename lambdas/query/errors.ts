/** Errors of the dashboard API that become precise 4xx answers. */
export class QueryParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryParamsError';
  }
}
