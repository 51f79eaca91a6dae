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
} as const;
