-- List prices (USD per 1M tokens) of the current OpenAI and Anthropic models the SDK's client
-- integrations (observeOpenAI, observeAnthropic, the AI SDK and LangChain helpers) meet, added to the
-- shipped defaults of 0004 (which stay for the models they cover). Each row's effective_from is the
-- date its price was read, not the model's launch: a span older than that is not priced by the row.
-- Where the figures come from (read 2026-12-06; check your provider's page and override by inserting
-- newer rows with upsertModelPrices):
--   OpenAI gpt-5.5, gpt-5.4, gpt-5.4-mini, gpt-5.4-nano: developers.openai.com/api/docs/pricing as
--     recorded on 2026-05-04 (api-evangelist/openai plans/openai-plans-pricing.yml), the same figures
--     as published reproductions of that page from June 2026; effective 2026-05-04.
--   OpenAI gpt-5, gpt-5-mini, gpt-5-nano: reproductions of the official page dated 2026-03-21
--     (input / output) and GitHub's Copilot price table (cached input at a tenth of input for the
--     GPT-5 family); effective 2026-03-21.
--   Anthropic: the cache multipliers of docs.anthropic.com/en/docs/about-claude/pricing (5-minute
--     cache write 1.25x base input, cache hit 0.1x); Opus 4 / 4.1 from that page; Opus 4.5 / 4.6,
--     Sonnet 4.5 / 4.6 and Haiku 4.5 base prices from reproductions of it dated 2026-03-21; effective
--     2026-03-21. A 1-hour cache write (2x base input) is billed above the cache_write price here.
-- Patterns are anchored and accept dated snapshots (`gpt-5.4-mini-2026-03-17`,
-- `claude-sonnet-4-5-20250929`, `-latest`) and a provider prefix.
-- In cluster mode this runs on one node; the table is replicated to every node (see 0003).

INSERT INTO {{table:promptline_model_prices}}
    (model_pattern, usage_type, effective_from, min_input_tokens, usd_per_million, provider, note, updated_at)
SELECT p.1, p.2, toDateTime(p.4, 'UTC'), 0, p.3, p.5, p.6, toDateTime64('2026-12-06 00:00:00', 3, 'UTC')
FROM (SELECT arrayJoin([
    ('^(openai/)?gpt-5\\.5(-\\d{4}-\\d{2}-\\d{2})?$', 'input', 5.0, '2026-05-04 00:00:00', 'openai', 'developers.openai.com/api/docs/pricing, recorded 2026-05-04'),
    ('^(openai/)?gpt-5\\.5(-\\d{4}-\\d{2}-\\d{2})?$', 'cache_read', 0.5, '2026-05-04 00:00:00', 'openai', 'developers.openai.com/api/docs/pricing, recorded 2026-05-04'),
    ('^(openai/)?gpt-5\\.5(-\\d{4}-\\d{2}-\\d{2})?$', 'output', 30.0, '2026-05-04 00:00:00', 'openai', 'developers.openai.com/api/docs/pricing, recorded 2026-05-04'),
    ('^(openai/)?gpt-5\\.4(-\\d{4}-\\d{2}-\\d{2})?$', 'input', 2.5, '2026-05-04 00:00:00', 'openai', 'developers.openai.com/api/docs/pricing, recorded 2026-05-04'),
    ('^(openai/)?gpt-5\\.4(-\\d{4}-\\d{2}-\\d{2})?$', 'cache_read', 0.25, '2026-05-04 00:00:00', 'openai', 'developers.openai.com/api/docs/pricing, recorded 2026-05-04'),
    ('^(openai/)?gpt-5\\.4(-\\d{4}-\\d{2}-\\d{2})?$', 'output', 15.0, '2026-05-04 00:00:00', 'openai', 'developers.openai.com/api/docs/pricing, recorded 2026-05-04'),
    ('^(openai/)?gpt-5\\.4-mini(-\\d{4}-\\d{2}-\\d{2})?$', 'input', 0.75, '2026-05-04 00:00:00', 'openai', 'developers.openai.com/api/docs/pricing, recorded 2026-05-04'),
    ('^(openai/)?gpt-5\\.4-mini(-\\d{4}-\\d{2}-\\d{2})?$', 'cache_read', 0.075, '2026-05-04 00:00:00', 'openai', 'developers.openai.com/api/docs/pricing, recorded 2026-05-04'),
    ('^(openai/)?gpt-5\\.4-mini(-\\d{4}-\\d{2}-\\d{2})?$', 'output', 4.5, '2026-05-04 00:00:00', 'openai', 'developers.openai.com/api/docs/pricing, recorded 2026-05-04'),
    ('^(openai/)?gpt-5\\.4-nano(-\\d{4}-\\d{2}-\\d{2})?$', 'input', 0.2, '2026-05-04 00:00:00', 'openai', 'developers.openai.com/api/docs/pricing, recorded 2026-05-04'),
    ('^(openai/)?gpt-5\\.4-nano(-\\d{4}-\\d{2}-\\d{2})?$', 'cache_read', 0.02, '2026-05-04 00:00:00', 'openai', 'developers.openai.com/api/docs/pricing, recorded 2026-05-04'),
    ('^(openai/)?gpt-5\\.4-nano(-\\d{4}-\\d{2}-\\d{2})?$', 'output', 1.25, '2026-05-04 00:00:00', 'openai', 'developers.openai.com/api/docs/pricing, recorded 2026-05-04'),
    ('^(openai/)?gpt-5(-\\d{4}-\\d{2}-\\d{2})?$', 'input', 1.25, '2026-03-21 00:00:00', 'openai', 'official page as reproduced 2026-03-21'),
    ('^(openai/)?gpt-5(-\\d{4}-\\d{2}-\\d{2})?$', 'cache_read', 0.125, '2026-03-21 00:00:00', 'openai', 'official page as reproduced 2026-03-21'),
    ('^(openai/)?gpt-5(-\\d{4}-\\d{2}-\\d{2})?$', 'output', 10.0, '2026-03-21 00:00:00', 'openai', 'official page as reproduced 2026-03-21'),
    ('^(openai/)?gpt-5-mini(-\\d{4}-\\d{2}-\\d{2})?$', 'input', 0.25, '2026-03-21 00:00:00', 'openai', 'official page as reproduced 2026-03-21'),
    ('^(openai/)?gpt-5-mini(-\\d{4}-\\d{2}-\\d{2})?$', 'cache_read', 0.025, '2026-03-21 00:00:00', 'openai', 'official page as reproduced 2026-03-21'),
    ('^(openai/)?gpt-5-mini(-\\d{4}-\\d{2}-\\d{2})?$', 'output', 2.0, '2026-03-21 00:00:00', 'openai', 'official page as reproduced 2026-03-21'),
    ('^(openai/)?gpt-5-nano(-\\d{4}-\\d{2}-\\d{2})?$', 'input', 0.05, '2026-03-21 00:00:00', 'openai', 'official page as reproduced 2026-03-21'),
    ('^(openai/)?gpt-5-nano(-\\d{4}-\\d{2}-\\d{2})?$', 'cache_read', 0.005, '2026-03-21 00:00:00', 'openai', 'official page as reproduced 2026-03-21'),
    ('^(openai/)?gpt-5-nano(-\\d{4}-\\d{2}-\\d{2})?$', 'output', 0.4, '2026-03-21 00:00:00', 'openai', 'official page as reproduced 2026-03-21'),
    ('^(anthropic/)?claude-opus-4-[56](-\\d{8}|-latest)?$', 'input', 5.0, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing as reproduced 2026-03-21'),
    ('^(anthropic/)?claude-opus-4-[56](-\\d{8}|-latest)?$', 'cache_write', 6.25, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing as reproduced 2026-03-21'),
    ('^(anthropic/)?claude-opus-4-[56](-\\d{8}|-latest)?$', 'cache_read', 0.5, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing as reproduced 2026-03-21'),
    ('^(anthropic/)?claude-opus-4-[56](-\\d{8}|-latest)?$', 'output', 25.0, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing as reproduced 2026-03-21'),
    ('^(anthropic/)?claude-opus-4(-1)?(-\\d{8}|-latest)?$', 'input', 15.0, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing'),
    ('^(anthropic/)?claude-opus-4(-1)?(-\\d{8}|-latest)?$', 'cache_write', 18.75, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing'),
    ('^(anthropic/)?claude-opus-4(-1)?(-\\d{8}|-latest)?$', 'cache_read', 1.5, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing'),
    ('^(anthropic/)?claude-opus-4(-1)?(-\\d{8}|-latest)?$', 'output', 75.0, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing'),
    ('^(anthropic/)?claude-sonnet-4-[56](-\\d{8}|-latest)?$', 'input', 3.0, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing as reproduced 2026-03-21'),
    ('^(anthropic/)?claude-sonnet-4-[56](-\\d{8}|-latest)?$', 'cache_write', 3.75, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing as reproduced 2026-03-21'),
    ('^(anthropic/)?claude-sonnet-4-[56](-\\d{8}|-latest)?$', 'cache_read', 0.3, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing as reproduced 2026-03-21'),
    ('^(anthropic/)?claude-sonnet-4-[56](-\\d{8}|-latest)?$', 'output', 15.0, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing as reproduced 2026-03-21'),
    ('^(anthropic/)?claude-haiku-4-5(-\\d{8}|-latest)?$', 'input', 1.0, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing as reproduced 2026-03-21'),
    ('^(anthropic/)?claude-haiku-4-5(-\\d{8}|-latest)?$', 'cache_write', 1.25, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing as reproduced 2026-03-21'),
    ('^(anthropic/)?claude-haiku-4-5(-\\d{8}|-latest)?$', 'cache_read', 0.1, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing as reproduced 2026-03-21'),
    ('^(anthropic/)?claude-haiku-4-5(-\\d{8}|-latest)?$', 'output', 5.0, '2026-03-21 00:00:00', 'anthropic', 'docs.anthropic.com pricing as reproduced 2026-03-21')
]) AS p);
