import type { ErrorText } from './error-text.ts';

/** Errors of the Docker engine's address (docker.host or DOCKER_HOST) and its TLS files. */
export const engineAddressErrorTexts = {
  'docker-host-invalid': {
    kind: 'usage',
    message: {
      ru: 'Адрес Docker «{value}» не подходит: {reasonRu}.',
      en: 'The Docker address "{value}" cannot be used: {reasonEn}.',
    },
    hint: {
      ru: 'Подходят unix:///путь/к/docker.sock, tcp://хост:порт (с DOCKER_TLS_VERIFY и DOCKER_CERT_PATH для TLS) и ssh://пользователь@хост. Адрес берётся из docker.host в конфигурации, иначе из DOCKER_HOST.',
      en: 'These work: unix:///path/to/docker.sock, tcp://host:port (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for TLS) and ssh://user@host. The address comes from docker.host in the configuration, else from DOCKER_HOST.',
    },
  },
  'docker-tls-files': {
    kind: 'usage',
    message: {
      ru: 'Для TLS к Docker нужен файл {file}, он не читается ({code}).',
      en: 'TLS to the Docker engine needs the file {file}, which cannot be read ({code}).',
    },
    hint: {
      ru: 'DOCKER_CERT_PATH должен указывать на каталог с ca.pem, cert.pem и key.pem (по умолчанию ~/.docker).',
      en: 'DOCKER_CERT_PATH must name a directory holding ca.pem, cert.pem and key.pem (~/.docker by default).',
    },
  },
} satisfies Record<string, ErrorText>;
