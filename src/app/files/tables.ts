// Row type of the files table (see migrations/0102_files.ts).
import type { IdentityTables } from '../../toolkit/index.ts';

export interface FileTables extends IdentityTables {
  files: {
    id: string;
    owner_id: string;
    name: string;
    media_type: string;
    size: number;
    sha256: string;
    storage_name: string;
    created_at: number;
  };
}
