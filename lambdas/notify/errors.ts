/** Callback data from a Telegram button press that Vigil did not produce (or no longer accepts). */
export class CallbackDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallbackDataError';
  }
}

/** An incident id that cannot be carried in callback data (wrong characters or too long). */
export class IncidentIdError extends Error {
  constructor(readonly incidentId: string) {
    super(
      `incident id ${JSON.stringify(incidentId.slice(0, 80))} cannot be used in a button (allowed: 1-48 of A-Z a-z 0-9 _ . -)`,
    );
    this.name = 'IncidentIdError';
  }
}
