/** Texts of the invocation path itself (confirmations), in every language. */
export const confirmTexts = {
  title: { ru: 'Нужно подтверждение {code}', en: 'Confirmation {code} needed' },
  how: {
    ru: 'Подтвердите в течение {minutes} мин: confirm {code} (или decline {code}).',
    en: 'Confirm within {minutes} min: confirm {code} (or decline {code}).',
  },
  confirm: { ru: 'Подтвердить', en: 'Confirm' },
  cancel: { ru: 'Отмена', en: 'Cancel' },
  declinedBy: {
    ru: '{who} отменил(а) {code}; ничего не изменено.',
    en: '{who} cancelled {code}; nothing was changed.',
  },
  confirmedBy: { ru: 'Подтвердил(а): {who} ({code}).', en: 'Confirmed by {who} ({code}).' },
  // The prompt once decided: its title, then what it said, then who decided and when.
  decidedTitle: {
    confirmed: { ru: 'Подтверждение {code}: подтверждено', en: 'Confirmation {code}: confirmed' },
    declined: { ru: 'Подтверждение {code}: отменено', en: 'Confirmation {code}: cancelled' },
    expired: { ru: 'Подтверждение {code}: время вышло', en: 'Confirmation {code}: expired' },
  },
  decidedLine: {
    confirmed: { ru: '✅ Подтвердил(а) {who} — {at}', en: '✅ Confirmed by {who} — {at}' },
    declined: {
      ru: '✖ Отменил(а) {who} — {at}; ничего не изменено.',
      en: '✖ Cancelled by {who} — {at}; nothing was changed.',
    },
    expired: {
      ru: '⌛ Никто не решил вовремя; срок истёк {at}, ничего не изменено.',
      en: '⌛ Nobody decided in time; it expired {at} and nothing was changed.',
    },
  },
} as const;
