// Where a chat-completions request goes: the endpoint's base URL with the path appended, its query kept.
import { describe, expect, it } from 'vitest';
import { chatUrl } from '../../../../src/main/mllm/client';

describe('chatUrl', () => {
  it('appends /chat/completions to the path, with or without a trailing slash, keeping a query string', () => {
    expect(chatUrl('http://127.0.0.1:11434/v1')).toBe('http://127.0.0.1:11434/v1/chat/completions');
    expect(chatUrl('http://127.0.0.1:8080/v1/')).toBe('http://127.0.0.1:8080/v1/chat/completions');
    expect(chatUrl('https://x.example/openai/deployments/d?api-version=2024-10-21')).toBe(
      'https://x.example/openai/deployments/d/chat/completions?api-version=2024-10-21',
    );
  });
});
