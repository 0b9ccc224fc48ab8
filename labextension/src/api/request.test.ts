import { describe, expect, it } from 'vitest';

import { ApiError, errorFromAnswer } from './request';

describe('errorFromAnswer', () => {
  it("reads the API's {message, error, issues}", () => {
    const issue = { severity: 'error', step: 'train', field: 'notebook', message: 'missing' };
    const error = errorFromAnswer(400, { message: 'invalid pipeline', error: 'PipelineValidationError', issues: [issue] }, 'x');
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, message: 'invalid pipeline', issues: [issue], target: null });
  });

  it("reads v1's {error: {message, target}} of the run requests", () => {
    const body = {
      error: { code: 'UserError', message: 'ParameterAssignments.rows: bad', target: 'ParameterAssignments.rows', details: [] },
      correlation: { RequestId: 'r' }
    };
    expect(errorFromAnswer(400, body, 'x')).toMatchObject({
      status: 400,
      message: 'ParameterAssignments.rows: bad',
      target: 'ParameterAssignments.rows'
    });
  });

  it('falls back to the status line for anything else', () => {
    expect(errorFromAnswer(502, '<html>bad gateway</html>', '502 Bad Gateway from runs').message).toBe('502 Bad Gateway from runs');
    expect(errorFromAnswer(500, undefined, 'fallback').message).toBe('fallback');
  });
});
