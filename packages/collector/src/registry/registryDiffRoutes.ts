import { Prompt } from '@promptline/prompt';
import type { PromptData } from '@promptline/prompt';
import type { RouteModule } from '../server/RouteModule.js';
import { HttpError, sendJson } from '../server/Router.js';
import { ClickHouseRegistryStore } from './ClickHouseRegistryStore.js';
import { PromptRegistry } from './PromptRegistry.js';
import type { PromptVersionView } from './PromptRegistry.js';
import { REGISTRY_PATH_PREFIX } from './registryRoutes.js';
import { RegistryError } from './RegistryError.js';

function toPromptData(p: PromptVersionView): PromptData {
  const common = {
    name: p.name,
    version: p.version,
    ...(p.config === undefined ? {} : { config: p.config }),
    ...(p.outputSchema === undefined ? {} : { outputSchema: p.outputSchema }),
    // Stored versions passed the SDK's own parser at create time.
    ...(p.examples === undefined ? {} : { examples: p.examples as PromptData['examples'] }),
    ...(p.metadata === undefined ? {} : { metadata: p.metadata }),
  };
  return p.type === 'chat'
    ? { ...common, type: 'chat', messages: p.messages }
    : { ...common, type: 'text', template: p.template };
}

/**
 * `GET /api/v1/prompts/{name}/diff?from=N&to=M` (read scope): the diff of two versions as
 * `promptline prompts diff --json` prints it (the SDK's `Prompt.diff`: unified text diff, similarity,
 * variables added/removed, config changes), with both versions' content.
 */
export function registryDiffRoutes(opts: { registry?: PromptRegistry } = {}): RouteModule {
  return (router, deps) => {
    const registry =
      opts.registry ??
      new PromptRegistry({ store: new ClickHouseRegistryStore(deps.client, { database: deps.database }) });
    router.get(`${REGISTRY_PATH_PREFIX}/:name/diff`, async (req, res, params, url) => {
      const who = deps.requireScope(req, 'read');
      const caller = { projectId: who.project, actor: who.name, scopes: [...who.scopes] };
      const from = url.searchParams.get('from');
      const to = url.searchParams.get('to');
      if (from === null || to === null)
        throw new HttpError(400, 'from and to: required (?from=VERSION&to=VERSION)');
      try {
        const name = params.name ?? '';
        const [left, right] = await Promise.all([
          registry.get(caller, name, { version: from }),
          registry.get(caller, name, { version: to }),
        ]);
        const diff = new Prompt(toPromptData(left)).diff(new Prompt(toPromptData(right)));
        sendJson(res, 200, { name, from: left, to: right, diff });
      } catch (err) {
        if (err instanceof RegistryError) {
          sendJson(res, err.status, err.toJSON());
          return;
        }
        throw err;
      }
    });
  };
}
