// CelebA's 40 binary attributes, spelled and ordered exactly as in list_attr_celeba.txt (values +1 / -1).

export const CELEBA_ATTRIBUTES = [
  '5_o_Clock_Shadow',
  'Arched_Eyebrows',
  'Attractive',
  'Bags_Under_Eyes',
  'Bald',
  'Bangs',
  'Big_Lips',
  'Big_Nose',
  'Black_Hair',
  'Blond_Hair',
  'Blurry',
  'Brown_Hair',
  'Bushy_Eyebrows',
  'Chubby',
  'Double_Chin',
  'Eyeglasses',
  'Goatee',
  'Gray_Hair',
  'Heavy_Makeup',
  'High_Cheekbones',
  'Male',
  'Mouth_Slightly_Open',
  'Mustache',
  'Narrow_Eyes',
  'No_Beard',
  'Oval_Face',
  'Pale_Skin',
  'Pointy_Nose',
  'Receding_Hairline',
  'Rosy_Cheeks',
  'Sideburns',
  'Smiling',
  'Straight_Hair',
  'Wavy_Hair',
  'Wearing_Earrings',
  'Wearing_Hat',
  'Wearing_Lipstick',
  'Wearing_Necklace',
  'Wearing_Necktie',
  'Young',
] as const;

export type CelebaAttribute = (typeof CELEBA_ATTRIBUTES)[number];
/** CelebA writes +1 for present and -1 for absent; there is no "unknown" in the file. */
export type CelebaValue = 1 | -1;

const celebaIndex = new Map<string, number>(CELEBA_ATTRIBUTES.map((name, i) => [name, i]));

export function isCelebaAttribute(name: string): name is CelebaAttribute {
  return celebaIndex.has(name);
}

/** Column index in list_attr_celeba.txt (0-based, after the file name), or -1. */
export function celebaAttributeIndex(name: string): number {
  return celebaIndex.get(name) ?? -1;
}

/** Parses a CelebA cell; `null` for anything but "1" / "-1" (CelebA never writes 0). */
export function parseCelebaValue(raw: string): CelebaValue | null {
  const t = raw.trim();
  return t === '1' ? 1 : t === '-1' ? -1 : null;
}
