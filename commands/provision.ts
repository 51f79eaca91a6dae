import { z } from 'zod';
import { dryRunOption } from '../src/core/args.ts';
import { defineCommand } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import { formatDuration } from '../src/core/format.ts';
import type { ProvisionPlan } from '../src/core/platform.ts';
import { instanceService, type RenderedWorkload } from '../src/core/templates.ts';
import { healthText } from './change-texts.ts';
import { codeList, reportSteps, scrubSecrets } from './provision-shared.ts';

const texts = {
  plan: {
    ru: 'Создать **{instance}** из шаблона **{template}**:',
    en: 'Provision **{instance}** from template **{template}**:',
  },
  dryRun: { ru: 'План (ничего не изменено)', en: 'Plan (nothing was changed)' },
  image: { ru: '• образ `{image}`', en: '• image `{image}`' },
  pull: { ru: ' — будет загружен', en: ' — will be pulled' },
  container: {
    ru: '• контейнер `{container}`, сеть `{network}`',
    en: '• container `{container}`, network `{network}`',
  },
  onCluster: {
    ru: '• `{container}` в пространстве имён `{namespace}` кластера `{cluster}`',
    en: '• `{container}` in namespace `{namespace}` of cluster `{cluster}`',
  },
  volumes: { ru: '• новые тома: {volumes}', en: '• new volumes: {volumes}' },
  params: { ru: '• параметры: {params}', en: '• parameters: {params}' },
  secrets: {
    ru: '• секреты (значения не показываются): {keys}',
    en: '• secrets (values never shown): {keys}',
  },
  created: { ru: 'Создан {instance} ({template})', en: 'Created {instance} ({template})' },
  createdText: {
    ru: 'Контейнер `{container}`: {health}. Тома: {volumes}.',
    en: 'Container `{container}`: {health}. Volumes: {volumes}.',
  },
  secretNote: {
    ru: 'Секреты ({keys}) есть только в окружении контейнера: docker inspect {container} на сервере.',
    en: 'The secrets ({keys}) are only in the container environment: docker inspect {container} on the host.',
  },
  secretNoteCluster: {
    ru: 'Секреты ({keys}) есть только в Secret {secret}: kubectl get secret {secret} -n {namespace} -o yaml.',
    en: 'The secrets ({keys}) are only in the Secret {secret}: kubectl get secret {secret} -n {namespace} -o yaml.',
  },
  fieldImage: { ru: 'Образ', en: 'Image' },
  fieldDuration: { ru: 'Длительность', en: 'Duration' },
} as const;

/** The exact plan: the confirmation and `--dry-run` show the same text. */
function planText(ctx: CommandContext, rendered: RenderedWorkload, plan: ProvisionPlan): string {
  const { spec } = rendered;
  const params = Object.entries(rendered.shown).map(([key, value]) => `${key}=${value}`);
  const mounts = spec.volumes.map((v) => `\`${v.name}\` → ${v.target}`);
  return [
    ctx.t(texts.plan, { instance: plan.instance, template: spec.template }),
    ctx.t(texts.image, { image: plan.image }) + (plan.pull ? ctx.t(texts.pull) : ''),
    plan.cluster === undefined
      ? ctx.t(texts.container, { container: plan.container, network: spec.network })
      : ctx.t(texts.onCluster, {
          container: plan.container,
          namespace: plan.cluster.namespace,
          cluster: plan.cluster.name,
        }),
    ctx.t(texts.volumes, { volumes: mounts.length === 0 ? '—' : mounts.join(', ') }),
    ctx.t(texts.params, { params: params.length === 0 ? '—' : params.join(', ') }),
    ...(rendered.secretKeys.length === 0
      ? []
      : [ctx.t(texts.secrets, { keys: rendered.secretKeys.join(', ') })]),
  ].join('\n');
}

async function prepare(
  ctx: CommandContext,
  input: { template: string; name: string; params: string[] },
): Promise<{ rendered: RenderedWorkload; plan: ProvisionPlan }> {
  const rendered = await ctx.templates.render(input.template, input.name, input.params);
  const platform = ctx.platform(instanceService(input.name));
  try {
    return { rendered, plan: await platform.planProvision(rendered.spec, ctx.signal) };
  } catch (error) {
    throw scrubSecrets(error, rendered.secretValues);
  }
}

/** `password=hunter2` → `password=…` */
function maskValue(word: string): string {
  const eq = word.indexOf('=');
  return eq === -1 ? '…' : `${word.slice(0, eq + 1)}…`;
}

export default defineCommand({
  name: 'provision',
  aliases: ['создать'],
  summary: {
    ru: 'создать сервис из шаблона: тома и контейнер с метками pes.bot',
    en: 'create a service from a template: volumes and a container labelled pes.bot',
  },
  args: [
    {
      name: 'template',
      description: { ru: 'шаблон из config/templates', en: 'a template of config/templates' },
      schema: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
    },
    {
      name: 'name',
      description: {
        ru: 'имя нового сервиса: строчные латинские буквы, цифры, «-»',
        en: 'name of the new service: lowercase letters, digits, "-"',
      },
      schema: z.string().regex(/^[a-z][a-z0-9-]{1,30}$/),
    },
    {
      name: 'params',
      description: { ru: 'параметры шаблона ключ=значение', en: 'template parameters key=value' },
      schema: z.array(z.string()),
      variadic: true,
    },
  ],
  options: [dryRunOption],
  mutating: { lock: 'name' },
  // Parameter values stay out of the audit log and the job list: a secret typed by mistake
  // is refused, but it was typed, and which keys are secret is only known from the template.
  recordedText: (input) =>
    ['provision', input.template, input.name, ...input.params.map(maskValue)].join(' '),
  async describe(ctx, input) {
    const { rendered, plan } = await prepare(ctx, input);
    return planText(ctx, rendered, plan);
  },
  async run(ctx, input) {
    const { rendered, plan } = await prepare(ctx, input);
    const { spec } = rendered;
    if (input.dryRun) {
      return {
        message: {
          severity: 'info',
          title: ctx.t(texts.dryRun),
          text: planText(ctx, rendered, plan),
        },
        data: { dryRun: true, plan, params: rendered.shown, secrets: rendered.secretKeys },
      };
    }
    const platform = ctx.platform(instanceService(input.name));
    let reports;
    try {
      reports = await platform.provision(spec, reportSteps(ctx), ctx.signal);
    } catch (error) {
      throw scrubSecrets(error, rendered.secretValues);
    }
    const report = reports[0];
    const lines = [
      ctx.t(texts.createdText, {
        container: plan.container,
        health: report === undefined ? '—' : healthText(ctx, report.health),
        volumes: codeList(plan.volumes),
      }),
      ...(rendered.secretKeys.length === 0
        ? []
        : [
            plan.cluster?.secret === undefined
              ? ctx.t(texts.secretNote, {
                  keys: rendered.secretKeys.join(', '),
                  container: plan.container,
                })
              : ctx.t(texts.secretNoteCluster, {
                  keys: rendered.secretKeys.join(', '),
                  secret: plan.cluster.secret,
                  namespace: plan.cluster.namespace,
                }),
          ]),
    ];
    return {
      message: {
        severity: 'success',
        title: ctx.t(texts.created, { instance: plan.instance, template: spec.template }),
        text: lines.join('\n'),
        fields: [
          { label: ctx.t(texts.fieldImage), value: plan.image, short: true },
          {
            label: ctx.t(texts.fieldDuration),
            value: formatDuration(report?.durationMs ?? 0, ctx.locale),
            short: true,
          },
        ],
      },
      data: { plan, reports, params: rendered.shown, secrets: rendered.secretKeys },
    };
  },
});
