import { z } from 'zod';

/** Request and response bodies of the scoring API: one zod schema each, also the OpenAPI source. */
export const FeatureValue = z.union([z.number(), z.string(), z.null()]);
export const ScoreRequest = z
  .strictObject({
    customer_id: z
      .string()
      .optional()
      .describe('Echoed back; with orders, picks the customer when the orders hold several.'),
    features: z
      .record(z.string(), FeatureValue)
      .optional()
      .describe("Feature values in original units, by the model's feature names."),
    orders: z
      .array(z.record(z.string(), z.union([z.string(), z.number(), z.null()])))
      .min(1)
      .max(100_000)
      .optional()
      .describe(
        "Raw order lines in the columns of the model's transactions source; turned into features with the model's own definitions.",
      ),
    reference_date: z
      .string()
      .optional()
      .describe(
        "With orders: the date features are computed as of (default: the model's, or the day after the last order if later).",
      ),
  })
  .refine((r) => r.features !== undefined || r.orders !== undefined, {
    message: 'send features, orders, or both',
    path: ['features'],
  });
export const BatchRequest = z.strictObject({
  rows: z.array(ScoreRequest).min(1).max(10_000).describe('At most 10,000 rows.'),
});
export const ScoreResponse = z.object({
  customer_id: z.string().nullable(),
  segment_id: z.number().int(),
  segment_name: z.string(),
  action: z.string(),
  distance: z.number(),
  subsegment_id: z.string().nullable(),
  rules: z.record(z.string(), z.boolean().nullable()),
});
export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
});
export const RunStartResponse = z.object({ started: z.boolean(), runId: z.string().nullable() });
